package dev.moore4j.api;

import dev.moore4j.model.DecoderModel;

/** A decode batch whose calls hold a lock (the model's), so that they interleave with the model's other calls. */
final class SynchronizedBatch implements DecoderModel.Batch {
    private final DecoderModel.Batch batch;
    private final Object lock;

    SynchronizedBatch(DecoderModel.Batch batch, Object lock) {
        this.batch = batch;
        this.lock = lock;
    }

    @Override
    public float[] add(long[] promptIds, int taskId) {
        synchronized (lock) {
            return batch.add(promptIds, taskId);
        }
    }

    @Override
    public float[][] step(long[] tokens) {
        synchronized (lock) {
            return batch.step(tokens);
        }
    }

    @Override
    public void remove(int row) {
        synchronized (lock) {
            batch.remove(row);
        }
    }

    @Override
    public int size() {
        return batch.size();
    }

    @Override
    public int length(int row) {
        return batch.length(row);
    }

    @Override
    public void close() {
        synchronized (lock) {
            batch.close();
        }
    }
}
