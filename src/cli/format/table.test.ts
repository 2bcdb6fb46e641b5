import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DOCKER_TABLE, TabWriter, tabulate } from './table.js';
import type { TabWriterOptions } from './table.js';
import { stringWidth } from './text-width.js';

const dots = (minwidth: number, padding: number, extra: Partial<TabWriterOptions> = {}): TabWriterOptions => ({
  minwidth,
  tabwidth: 0,
  padding,
  padchar: '.',
  ...extra,
});

describe('tabwriter as docker configures it (minwidth 10, tabwidth 1, padding 3)', () => {
  it('lays out `docker node ls` exactly', () => {
    const out = tabulate(
      // What docker's default node template gives: "{{.ID}} {{if .Self}}*{{else}} {{ end }}\t…".
      'ID  \tHOSTNAME\tSTATUS\tAVAILABILITY\tMANAGER STATUS\tENGINE VERSION\n' +
        'nbqicfhpxsu0ebpa5e6r2ewmo *\tvm\tReady\tActive\tLeader\t28.2.2\n',
    );
    assert.equal(
      out,
      'ID                            HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION\n' +
        'nbqicfhpxsu0ebpa5e6r2ewmo *   vm         Ready     Active         Leader           28.2.2\n',
    );
  });

  it('lays out `docker service ls`: width = widest cell + 3, at least 10', () => {
    const out = tabulate(
      'ID\tNAME\tMODE\tREPLICAS\tIMAGE\tPORTS\n' + 'x6ffbgfmxgaf\tweb\treplicated\t3/3\tnginx:latest\t*:8080->80/tcp\n',
    );
    assert.equal(
      out,
      'ID             NAME      MODE         REPLICAS   IMAGE          PORTS\n' +
        'x6ffbgfmxgaf   web       replicated   3/3        nginx:latest   *:8080->80/tcp\n',
    );
  });

  it('never pads the last cell of a line, but pads a tab-terminated one', () => {
    assert.equal(tabulate('a\tb\n'), 'a         b\n');
    assert.equal(tabulate('a\tb\t\n'), 'a         b         \n');
  });

  it('a header-only table still gets the minimum widths', () => {
    assert.equal(tabulate('ID\tNAME\tIMAGE\n'), 'ID        NAME      IMAGE\n');
  });

  it('a column block ends at a line without that column', () => {
    // Column 1 exists (tab-terminated) only on lines 1 and 3: two blocks with their own widths.
    assert.equal(
      tabulate('a\tbbbbbbbbbbbbbbbb\tc\n' + 'a\tb\n' + 'a\tb\tc\n'),
      'a         bbbbbbbbbbbbbbbb   c\n' + 'a         b\n' + 'a         b         c\n',
    );
    // Line 2's last cell sits in column 1 but does not widen it.
    assert.equal(
      tabulate('ID\tNAME\n' + '1\tlongername-here\tEXTRA\n' + '2\tb\n'),
      'ID        NAME\n' + '1         longername-here   EXTRA\n' + '2         b\n',
    );
  });

  it('a line without tabs ends every block', () => {
    assert.equal(
      tabulate('a\tb\n' + 'no tabs at all, quite long\n' + 'cccccccccccccc\td\n'),
      'a         b\n' + 'no tabs at all, quite long\n' + 'cccccccccccccc   d\n',
    );
  });

  it('measures East Asian wide characters and emoji as two cells, combining marks as none', () => {
    assert.equal(stringWidth('日本'), 4);
    assert.equal(stringWidth('e\u0301'), 1);
    assert.equal(stringWidth('🐳'), 2);
    assert.equal(stringWidth('👩‍💻'), 2);
    assert.equal(tabulate('NAME\tX\n日本語サービス\tY\n'), 'NAME             X\n日本語サービス   Y\n');
  });

  it('writes in pieces and flushes complete blocks early', () => {
    const w = new TabWriter(DOCKER_TABLE);
    w.write('ID\tNA').write('ME\n').write('1\tweb');
    assert.equal(w.output, '');
    w.write('\nplain line\n');
    assert.equal(w.take(), 'ID        NAME\n1         web\nplain line\n');
    w.write('x\ty');
    w.flush();
    assert.equal(w.take(), 'x         y');
  });
});

describe('tabwriter: the general rules (Go text/tabwriter)', () => {
  it('empty input and blank lines pass through', () => {
    assert.equal(tabulate('', dots(8, 1)), '');
    assert.equal(tabulate('\n\n', dots(8, 1)), '\n\n');
    assert.equal(tabulate('\t', dots(8, 1)), '');
    assert.equal(tabulate('\t\n', dots(8, 1)), '........\n');
  });

  it('cells are padded to the widest cell plus padding', () => {
    assert.equal(tabulate('1\t2\t3\n11\t222\t3\n', dots(1, 1)), '1..2...3\n11.222.3\n');
    assert.equal(tabulate('x\t\ty\n', dots(4, 0)), 'x.......y\n');
  });

  it('aligns right', () => {
    assert.equal(tabulate('1\t22\t\n333\t4\t\n', dots(1, 1, { alignRight: true })), '...1.22\n.333..4\n');
  });

  it('discards empty soft-tab columns only', () => {
    assert.equal(tabulate('a\v\vb', dots(4, 0, { discardEmptyColumns: true })), 'a...b');
    assert.equal(tabulate('a\t\tb', dots(4, 0, { discardEmptyColumns: true })), 'a.......b');
  });

  it('a form feed ends all blocks', () => {
    assert.equal(tabulate('a\tb\fcccc\td\n', dots(1, 1)), 'a.b\ncccc.d\n');
    assert.equal(tabulate('a\tb\fcccc\td\n', dots(1, 1, { debug: true })), 'a.|b\n---\ncccc.|d\n');
  });

  it('pads with tabs when padchar is a tab', () => {
    const tabs: TabWriterOptions = { minwidth: 8, tabwidth: 8, padding: 1, padchar: '\t' };
    assert.equal(tabulate('ab\tc\n123456789\td\n', tabs), 'ab\t\tc\n123456789\td\n');
  });
});
