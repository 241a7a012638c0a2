/**
 * Entry of a training thread (fit-threads.ts): fits one learned model per message on the backend the main thread
 * runs, and answers with the model's artifact, which the main thread rebuilds exactly (weights as float32 bits).
 */
import { parentPort } from 'node:worker_threads';
import { SynthError } from '../../errors.js';
import { computeBackendName, initCompute, type BackendChoice } from '../compute/index.js';
import { fitLearnedModel, type LearnedFactoryArgs } from './fit.js';
import type { LearnedArtifact } from './learned-model.js';

export interface FitRequest {
  id: number;
  backend: BackendChoice;
  args: LearnedFactoryArgs;
}

export type FitAnswer =
  | { id: number; ok: true; artifact: LearnedArtifact }
  | { id: number; ok: false; backend?: string; error: { message: string; code?: string; hint?: string; table?: string; column?: string } };

const port = parentPort;
if (port) {
  port.on('message', (req: FitRequest) => {
    void (async (): Promise<FitAnswer> => {
      try {
        const backend = await initCompute(req.backend);
        // Another backend rounds differently: the main thread fits this table itself instead.
        if (backend !== req.backend) return { id: req.id, ok: false, backend, error: { message: `training thread runs ${backend}, not ${req.backend}` } };
        const model = await fitLearnedModel(req.args);
        const artifact = model.toJSON();
        model.dispose();
        return { id: req.id, ok: true, artifact };
      } catch (e) {
        const s = e instanceof SynthError ? e : null;
        return {
          id: req.id,
          ok: false,
          backend: computeBackendName(),
          error: {
            message: e instanceof Error ? e.message : String(e),
            ...(s ? { code: s.code } : {}),
            ...(s?.hint ? { hint: s.hint } : {}),
            ...(s?.table ? { table: s.table } : {}),
            ...(s?.column ? { column: s.column } : {}),
          },
        };
      }
    })().then((answer) => port.postMessage(answer));
  });
}
