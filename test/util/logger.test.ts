/** The null logger and the PN_TRACE_FRM switch. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  frameTracerFromEnv,
  type Logger,
  NULL_LOGGER,
  stderrTracer,
  traceFramesEnabled,
} from '../../src/util/logger.js';

describe('NULL_LOGGER', () => {
  it('takes every level and returns nothing', () => {
    const l: Logger = NULL_LOGGER;
    assert.equal(l.debug('a', 1, {}), undefined);
    assert.equal(l.info('b'), undefined);
    assert.equal(l.warn('c'), undefined);
    assert.equal(l.error('d', new Error('x')), undefined);
    assert.ok(Object.isFrozen(NULL_LOGGER));
  });
});

describe('traceFramesEnabled', () => {
  it('is on for 1, true, yes and on, in any case, as in Proton', () => {
    for (const v of ['1', 'true', 'TRUE', 'True', 'yes', 'YES', 'on', 'On']) {
      assert.equal(traceFramesEnabled({ PN_TRACE_FRM: v }), true, v);
    }
  });

  it('is off when unset, empty or anything else', () => {
    assert.equal(traceFramesEnabled({}), false);
    for (const v of ['', '0', 'false', 'no', 'off', ' 1', '1 ', 'truely', '2']) {
      assert.equal(traceFramesEnabled({ PN_TRACE_FRM: v }), false, JSON.stringify(v));
    }
  });

  it('reads process.env by default', () => {
    const saved = process.env.PN_TRACE_FRM;
    try {
      process.env.PN_TRACE_FRM = 'yes';
      assert.equal(traceFramesEnabled(), true);
      delete process.env.PN_TRACE_FRM;
      assert.equal(traceFramesEnabled(), false);
    } finally {
      if (saved === undefined) delete process.env.PN_TRACE_FRM;
      else process.env.PN_TRACE_FRM = saved;
    }
  });
});

describe('frame tracers', () => {
  it('frameTracerFromEnv gives the stderr tracer only when tracing is on', () => {
    assert.equal(frameTracerFromEnv({ PN_TRACE_FRM: '1' }), stderrTracer);
    assert.equal(frameTracerFromEnv({ PN_TRACE_FRM: '0' }), undefined);
    assert.equal(frameTracerFromEnv({}), undefined);
  });

  it('stderrTracer writes one line to stderr', (t) => {
    const written: unknown[] = [];
    t.mock.method(process.stderr, 'write', (chunk: unknown) => {
      written.push(chunk);
      return true;
    });
    stderrTracer('[0x1]: AMQP:FRAME:0 -> @close(24) []');
    assert.deepEqual(written, ['[0x1]: AMQP:FRAME:0 -> @close(24) []\n']);
  });
});
