package dev.moore4j.model;

import java.util.Arrays;
import java.util.Random;

/**
 * The next token from a row of logits: greedy at temperature 0, else sampled with nucleus {@code top_p}. One sampling
 * rule for every way of decoding (one sequence, or many in a batch), so a seed gives the same tokens either way.
 */
public final class Sampler {
    private Sampler() {}

    public static long sample(float[] logits, DecoderModel.Sampling o, Random rnd) {
        if (o.temperature() <= 0) {
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            return best;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp((logits[i] - max) / o.temperature());
            sum += p[i];
        }
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < p.length; i++) {
            order[i] = i;
            p[i] /= sum;
        }
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        double topP = o.topP() <= 0 || o.topP() > 1 ? 1 : o.topP();
        int keep = 0;
        double mass = 0;
        while (keep < order.length && (keep == 0 || mass < topP)) {
            mass += p[order[keep++]];
        }
        double r = rnd.nextDouble() * mass;
        for (int i = 0; i < keep; i++) {
            r -= p[order[i]];
            if (r <= 0) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    /** log p(token) under the model's distribution (temperature 1), as OpenAI's {@code logprobs} report it. */
    public static float logprob(float[] logits, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        return (float) (logits[token] - max - Math.log(sum));
    }
}
