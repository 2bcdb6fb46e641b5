import { invalidArgument } from '../../api/errors.js';
import { MEDIA_TYPE_MULTIPLEXED_STREAM, MEDIA_TYPE_RAW_STREAM, fixedTimestamp } from '../frames.js';
import type { ApiRequest } from '../request.js';
import type { Router } from '../router.js';
import type { EngineBackend } from './backend.js';
import { pipeToHijacked } from './streams.js';

/** `since`/`until` as docker sends them: unix seconds with an optional fraction, or an RFC 3339 time. */
function timeParam(req: ApiRequest, name: string): number {
  const v = req.queryString(name);
  if (v === undefined || v === '' || v === '0') return 0;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument('request.bad_query', `invalid value for ${name}: ${JSON.stringify(v)}`);
  return t / 1000;
}

function tailParam(req: ApiRequest): number | undefined {
  const v = req.queryString('tail');
  if (v === undefined || v === '' || v === 'all') return undefined;
  if (!/^-?\d+$/.test(v)) throw invalidArgument('request.bad_query', `invalid value for tail: ${JSON.stringify(v)}`);
  const n = Number(v);
  return n < 0 ? undefined : n;
}

function stopOpts(req: ApiRequest): { timeoutS?: number; signal?: string } {
  const t = req.queryInt('t');
  const signal = req.queryString('signal');
  return { ...(t !== undefined ? { timeoutS: t } : {}), ...(signal ? { signal } : {}) };
}

/** `/containers/*` and `/exec/*`. */
export function containerRoutes(router: Router, b: EngineBackend): void {
  const c = b.containers;
  router.post('/containers/create', async (req, res) => {
    const name = req.queryString('name');
    res.json(201, await c.create(await req.json(), name));
  });
  router.get('/containers/json', (req, res) => {
    const limit = req.queryInt('limit');
    res.json(200, c.list({ all: req.queryBool('all'), filters: req.filters(), ...(limit !== undefined ? { limit } : {}) }));
  });
  router.get('/containers/{id}/json', (req, res) => res.json(200, c.inspect(req.param('id'))));
  router.post('/containers/{id}/start', async (req, res) => {
    const r = await c.start(req.param('id'));
    if (r === 'already-running') res.empty(304);
    else res.noContent();
  });
  router.post('/containers/{id}/stop', async (req, res) => {
    const r = await c.stop(req.param('id'), stopOpts(req));
    if (r === 'not-running') res.empty(304);
    else res.noContent();
  });
  router.post('/containers/{id}/restart', async (req, res) => {
    await c.restart(req.param('id'), stopOpts(req));
    res.noContent();
  });
  router.post('/containers/{id}/kill', async (req, res) => {
    await c.kill(req.param('id'), req.queryString('signal') || 'SIGKILL');
    res.noContent();
  });
  router.post('/containers/{id}/wait', async (req, res) => {
    const id = req.param('id');
    c.inspect(id); // 404 before the 200 is committed
    const condition = req.queryString('condition') ?? '';
    const waiting = c.wait(id, condition, req.signal);
    // dockerd sends the headers at once, so the client knows the wait is registered before it starts the container.
    const body = res.stream(200, 'application/json');
    try {
      const r = await waiting;
      await body.write(`${JSON.stringify(r)}\n`);
    } finally {
      body.end();
    }
  });
  router.delete('/containers/{id}', async (req, res) => {
    await c.remove(req.param('id'), { force: req.queryBool('force'), volumes: req.queryBool('v') });
    res.noContent();
  });
  router.post('/containers/{id}/resize', async (req, res) => {
    await c.resize(req.param('id'), req.queryInt('h', { default: 0, min: 0 }), req.queryInt('w', { default: 0, min: 0 }));
    res.empty(200);
  });
  router.get('/containers/{id}/logs', async (req, res) => {
    const stdout = req.queryBool('stdout');
    const stderr = req.queryBool('stderr');
    if (!stdout && !stderr) throw invalidArgument('logs.no_streams', 'Bad parameters: you must choose at least one stream');
    const timestamps = req.queryBool('timestamps');
    const { tty, lines } = c.logs(
      req.param('id'),
      { stdout, stderr, since: timeParam(req, 'since'), until: timeParam(req, 'until'), tail: tailParam(req), follow: req.queryBool('follow') },
      req.signal,
    );
    const out = res.logStream({ tty });
    try {
      for await (const l of lines) {
        const text = `${timestamps ? `${fixedTimestamp(l.time)} ` : ''}${l.text}\n`;
        await out.writeFrame(l.stream === 'stdout' ? 1 : 2, text);
      }
    } finally {
      out.end();
    }
  });
  router.post('/containers/{id}/attach', async (req, res) => {
    const id = req.param('id');
    const info = c.inspect(id);
    const tty = info.Config.Tty === true;
    const pending = c.attach(id);
    const { socket, head } = res.hijack(tty ? MEDIA_TYPE_RAW_STREAM : MEDIA_TYPE_MULTIPLEXED_STREAM);
    let streams;
    try {
      streams = (await pending).streams;
    } catch (e) {
      socket.end();
      throw e;
    }
    await pipeToHijacked(socket, head, tty, streams, { stdin: req.queryBool('stdin'), stdout: req.queryBool('stdout'), stderr: req.queryBool('stderr') });
  });

  router.post('/containers/{id}/exec', async (req, res) => res.json(201, c.execCreate(req.param('id'), await req.json())));
  router.post('/exec/{id}/start', async (req, res) => {
    const body = (await req.jsonOptional<{ Detach?: boolean; Tty?: boolean }>()) ?? {};
    const id = req.param('id');
    const inspect = c.execInspect(id) as { OpenStdin: boolean; OpenStdout: boolean; OpenStderr: boolean; ProcessConfig: { tty: boolean } };
    const { tty, streams } = await c.execStart(id);
    if (body.Detach === true) {
      streams.stdout.resume();
      streams.stderr?.resume();
      streams.stdin?.end();
      res.empty(200);
      return;
    }
    const { socket, head } = res.hijack(tty ? MEDIA_TYPE_RAW_STREAM : MEDIA_TYPE_MULTIPLEXED_STREAM);
    await pipeToHijacked(socket, head, tty, streams, { stdin: inspect.OpenStdin, stdout: true, stderr: true });
  });
  router.post('/exec/{id}/resize', (req, res) => {
    c.execResize(req.param('id'), req.queryInt('h', { default: 0, min: 0 }), req.queryInt('w', { default: 0, min: 0 }));
    res.empty(200);
  });
  router.get('/exec/{id}/json', (req, res) => res.json(200, c.execInspect(req.param('id'))));
}
