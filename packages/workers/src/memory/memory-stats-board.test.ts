import { describe } from 'vitest';
import { statsBoardContract } from '../test-support/stats-board-contract.js';
import { MemoryStatsBoard } from './memory-stats-board.js';

describe('MemoryStatsBoard', () => {
  statsBoardContract(async (ttlMs, now) => new MemoryStatsBoard(ttlMs, now));
});
