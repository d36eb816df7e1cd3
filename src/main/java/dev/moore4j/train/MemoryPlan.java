package dev.moore4j.train;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.AdapterModule;
import dev.moore4j.adapter.Param;
import dev.moore4j.config.TrainConfig;
import dev.moore4j.model.FfnSlot;
import dev.moore4j.model.LinearSlot;
import dev.moore4j.model.TransformerModel;
import dev.moore4j.mtl.TaskModel;
import dev.moore4j.task.Example;
import dev.moore4j.util.MemoryBudget;
import dev.moore4j.util.MemoryStats;
import dev.moore4j.util.NativeTrimmer;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a run will hold at its peak, estimated before the first step, against a budget, and the choice that makes it
 * fit: keep every layer's activations for the backward pass (fastest) or recompute them ({@link dev.moore4j.model.Recompute}).
 * <p>
 * The estimate adds, to what the process holds once the model is loaded and adapted (measured: runtime, weights,
 * frozen factors, parameters), the optimiser's state (gradient and two AdamW moments per trainable value) and the
 * larger of a training step's activations and an evaluation batch's. Activations come from the model's shapes: per
 * token and layer, the tensors autograd keeps (the projections' inputs and outputs, the FFN's intermediates, one
 * attention score and probability per head and key) plus what each adapter module keeps itself
 * ({@link AdapterModule#keptFloatsPerToken}); for the longest step the batch plan can draw. With recomputation only
 * each layer's input is kept, plus one layer rebuilt at a time.
 */
public record MemoryPlan(MemoryBudget budget, long stepTokens, Estimate kept, Estimate recomputed, boolean recompute, String reason) {
    private static final long MB = 1_000_000L;

    /** Bytes at the peak by part; {@code loaded} is the peak loading reached (the run's peak is at least that). */
    public record Estimate(long resident, long optimizer, long activations, long evaluation, long loaded) {
        public long peak() {
            return Math.max(loaded, resident + optimizer + Math.max(activations, evaluation));
        }

        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("resident_mb", resident / MB);
            m.put("optimizer_mb", optimizer / MB);
            m.put("activations_mb", activations / MB);
            m.put("evaluation_mb", evaluation / MB);
            m.put("loading_peak_mb", loaded / MB);
            m.put("peak_mb", peak() / MB);
            return m;
        }
    }

    /** The same estimates with recomputation decided otherwise, for {@code reason}. */
    public MemoryPlan withRecompute(boolean on, String reason) {
        return new MemoryPlan(budget, stepTokens, kept, recomputed, on, (on ? "recomputing layers " : "keeping every layer's activations ") + reason);
    }

    /** The estimated peak of what it chose, in bytes. */
    public long peak() {
        return (recompute ? recomputed : kept).peak();
    }

    /** The plan's record in {@code summary.json} ({@code memory_plan}). */
    public Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("budget_mb", budget.unlimited() ? null : budget.bytes() / MB);
        m.put("budget_from", budget.from());
        m.put("step_tokens", stepTokens);
        m.put("allocator", NativeTrimmer.allocator().name().toLowerCase(Locale.ROOT)); // what the retention factor assumed
        m.put("recompute", recompute);
        m.put("reason", reason);
        m.put("estimate", (recompute ? recomputed : kept).json());
        m.put("estimate_kept", kept.json());
        m.put("estimate_recomputed", recomputed.json());
        return m;
    }

    /** One line for stderr: what it chose and why. */
    public String line() {
        Estimate e = recompute ? recomputed : kept;
        return String.format(Locale.ROOT, "memory plan: peak about %,d MB (resident %,d, optimiser %,d, activations %,d for %,d tokens a step, evaluation %,d) of %s; %s",
                e.peak() / MB, e.resident() / MB, e.optimizer() / MB, e.activations() / MB, stepTokens, e.evaluation() / MB,
                budget.unlimited() ? "no budget" : String.format(Locale.ROOT, "a budget of %,d MB (%s)", budget.bytes() / MB, budget.from()), reason);
    }

    /**
     * The plan for training {@code model} on {@code train} with {@code cfg}. {@code cfg.recompute()} forces
     * recomputation; otherwise it is chosen when keeping the activations would exceed the budget and recomputing
     * fits, and, under the automatic budget, when recomputing at least halves the peak. A run that fits neither way stops here, with the estimate and what would make it fit.
     */
    public static MemoryPlan choose(TaskModel model, TrainConfig cfg, Collection<List<Example>> train) {
        MemoryBudget budget = MemoryBudget.parse(cfg.memoryBudget());
        Step step = Step.of(model, cfg, train);
        Shapes s = Shapes.of(model).withKeys(step.longest());
        long stepTokens = step.tokens();
        long resident = Math.max(0, MemoryStats.rssBytes());
        long loadPeak = Math.max(0, MemoryStats.peakRssBytes()); // loading may have peaked higher than anything after it
        Retention retention = Retention.of(NativeTrimmer.allocator());
        long trainable = model.parameters().stream().mapToLong(Param::size).sum();
        long optimizer = 12L * trainable; // fp32 gradient and two moments (the parameter itself is resident)
        long evaluation = (long) (4 * s.inferencePerToken() * step.evaluationTokens(cfg));
        long keptActs = (long) (4 * s.trainingPerToken(false) * stepTokens * retention.kept());
        long recomputedActs = (long) (4 * s.trainingPerToken(true) * stepTokens * retention.recomputed());
        Estimate kept = new Estimate(resident, optimizer, keptActs, evaluation, loadPeak);
        Estimate recomputed = new Estimate(resident, optimizer, recomputedActs, evaluation, loadPeak);
        if (!s.backward()) { // heads only: nothing upstream of the heads trains, so no activation is kept
            kept = new Estimate(resident, optimizer, Math.min(keptActs, evaluation), evaluation, loadPeak);
            return new MemoryPlan(budget, stepTokens, kept, kept, false, "nothing in the model trains: no activations kept for a backward pass");
        }
        if (cfg.recompute()) {
            return new MemoryPlan(budget, stepTokens, kept, recomputed, true, "recomputing layers (asked for)");
        }
        if (budget.kind() == MemoryBudget.Kind.AUTO && recomputed.peak() * 2 <= kept.peak()) {
            // activations are most of the peak: one more forward pass a step (about a third more time) for half the memory or
            // less; a machine's spare memory is not the run's to fill, so only a budget the user gives keeps them
            return new MemoryPlan(budget, stepTokens, kept, recomputed, true, String.format(Locale.ROOT,
                    "recomputing layers: it halves the peak (keeping activations would need about %,d MB; --memory-budget SIZE or off keeps them where they fit)",
                    kept.peak() / MB));
        }
        if (budget.unlimited() || kept.peak() <= budget.bytes()) {
            return new MemoryPlan(budget, stepTokens, kept, recomputed, false, "keeping every layer's activations (fits)");
        }
        if (recomputed.peak() <= budget.bytes()) {
            return new MemoryPlan(budget, stepTokens, kept, recomputed, true, String.format(Locale.ROOT,
                    "recomputing layers: keeping their activations would need about %,d MB", kept.peak() / MB));
        }
        throw new MooreException(String.format(Locale.ROOT, "memory plan: this run needs about %,d MB even recomputing layers (resident %,d, optimiser %,d, "
                + "activations %,d for %,d tokens a step) and the budget is %,d MB (%s). To fit: a smaller --batch-size with --grad-accum "
                + "(activations scale with the micro-batch), a shorter --max-length, --weights-dtype fp16 (frozen weights in half the memory), "
                + "or a larger --memory-budget", recomputed.peak() / MB, resident / MB, optimizer / MB, recomputedActs / MB, stepTokens,
                budget.bytes() / MB, budget.from()));
    }

    /**
     * What the allocator holds at a step's peak for each byte of live activations, measured (MiniLM, LoRA and MoORE,
     * BoolQ at 32 × 2 × 26 tokens, one thread): tcmalloc 0.74–0.89 with activations kept (the live set's estimate
     * counts some tensors that are freed before the peak), 1.8–1.9 recomputing; glibc 1.1–1.5 and 2.3–3.0 (it keeps
     * the chunks freed layer after layer). A recomputed step frees and allocates one layer's tensors L times over, so
     * it fragments more.
     */
    record Retention(double kept, double recomputed) {
        static Retention of(NativeTrimmer.Allocator a) {
            return a == NativeTrimmer.Allocator.GLIBC ? new Retention(1.3, 2.6) : new Retention(0.82, 1.85);
        }
    }

    /**
     * The largest micro-batch the run can draw: every sequence padded to the longest, each example counting as many
     * sequences as it has (a multiple-choice example, one per choice).
     */
    record Step(long micro, int sequences, int longest) {
        static Step of(TaskModel model, TrainConfig cfg, Collection<List<Example>> train) {
            int longest = 0;
            int sequences = 1;
            for (List<Example> task : train) {
                for (Example e : task) {
                    int l = model.longest(e);
                    longest = Math.max(longest, l);
                    sequences = Math.max(sequences, l == 0 ? 1 : (model.tokens(e) + l - 1) / l);
                }
            }
            return new Step((cfg.batchSize() + cfg.gradAccum() - 1) / cfg.gradAccum(), sequences, longest);
        }

        long tokens() {
            return micro * sequences * longest;
        }

        /** An evaluation batch's tokens: its examples at the same lengths, within the run's evaluation token bound. */
        long evaluationTokens(TrainConfig cfg) {
            return Math.min(dev.moore4j.eval.EvalBatches.of(cfg).tokens(), Math.max((long) cfg.evalBatchSize() * sequences * longest, longest));
        }
    }

    /** The shapes the activation estimate reads, and the per-token counts it makes of them (floats). */
    record Shapes(int layers, int hidden, int ffn, int heads, int keys, boolean gated, double adapterPerToken, boolean backward) {
        static Shapes of(TaskModel model) {
            TransformerModel base = model.base();
            List<FfnSlot> ffns = base.ffnSlots();
            int ffn = 0;
            boolean gated = false;
            for (FfnSlot f : ffns) {
                gated |= f.kind() != FfnSlot.Kind.GELU;
                for (LinearSlot p : f.projections()) {
                    ffn = Math.max(ffn, Math.max(p.get().inFeatures(), p.get().outFeatures()));
                }
            }
            double adapter = model.adapter().modules().stream().mapToDouble(AdapterModule::keptFloatsPerToken).sum();
            return new Shapes(ffns.size(), base.hiddenSize(), ffn, base.attentionHeads(), base.maxPositions(), gated, adapter,
                    !model.adapter().modules().isEmpty());
        }

        /** One layer under autograd: projections' inputs and outputs, norms and residuals (~12 D), the FFN's intermediates, scores and probabilities. */
        double layerPerToken(double keys) {
            return 12.0 * hidden + (gated ? 4.0 : 2.0) * ffn + (gated ? 2.0 : 2.25) * heads * keys; // BERT's attention dropout keeps a mask
        }

        /**
         * Floats per token of a training step at its peak, for sequences of {@link #keys} tokens at most: every layer
         * kept (or, recomputing, each layer's input and one layer rebuilt), the gradient flowing back through one layer,
         * and the adapter modules' own (all kept, or one layer's share).
         */
        double trainingPerToken(boolean recompute) {
            double layer = layerPerToken(keys);
            double layers = recompute ? this.layers * (double) hidden + layer + adapterPerToken / Math.max(1, this.layers) : this.layers * layer + adapterPerToken;
            return layers + layer + 4.0 * hidden;
        }

        /** Floats per token of an inference pass: one layer's intermediates at a time. */
        double inferencePerToken() {
            return 4.0 * hidden + (gated ? 3.0 : 2.0) * ffn + 2.0 * heads * keys;
        }

        Shapes withKeys(int k) {
            return new Shapes(layers, hidden, ffn, heads, k, gated, adapterPerToken, backward);
        }
    }

}
