/** Every fuzz target, in the order the runner takes them. */
import { codecTarget } from './codec-target.js';
import {
  frameTarget,
  saslClientTarget,
  saslServerTarget,
  transportClientTarget,
  transportServerTarget,
} from './engine-targets.js';
import { selectorTarget } from './selector-target.js';
import type { FuzzTarget } from './target.js';

export const TARGETS: readonly FuzzTarget[] = [
  codecTarget,
  frameTarget,
  saslServerTarget,
  saslClientTarget,
  transportServerTarget,
  transportClientTarget,
  selectorTarget,
];
