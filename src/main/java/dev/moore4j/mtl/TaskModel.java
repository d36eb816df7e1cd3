package dev.moore4j.mtl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.Adapter;
import dev.moore4j.adapter.Param;
import dev.moore4j.io.HostTensor;
import dev.moore4j.io.Safetensors;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.Recompute;
import dev.moore4j.model.TransformerModel;
import dev.moore4j.task.Example;
import dev.moore4j.task.TaskSpec;

import java.util.List;
import java.util.Map;

/**
 * A base model, its (optional) adapter and the task heads, seen by the trainer and evaluator. The
 * trainer knows only this interface: which parameters to update and a scalar loss for a batch.
 */
public sealed interface TaskModel extends AutoCloseable permits EncoderTaskModel, DecoderTaskModel {
    List<TaskSpec> tasks();

    /** The pretrained model underneath (frozen but for what the adapter trains). */
    TransformerModel base();

    /** The adapter (for heads only, one without modules). */
    Adapter adapter();

    /** Every trainable tensor: adapter and heads. */
    List<Param> parameters();

    /** The task heads' tensors among {@link #parameters()} (trained at their own rate); none for a decoder. */
    default List<Param> headParameters() {
        return List.of();
    }

    /** Mean loss over the examples (a scalar on {@code m}); call inside a gradient collector to train. */
    default NDArray loss(List<Example> batch, NDManager m, boolean training) {
        return loss(batch, m, training, null);
    }

    /** The training loss with the base model's layers recomputed in the backward pass (null: kept, as usual). */
    NDArray loss(List<Example> batch, NDManager m, boolean training, Recompute recompute);

    /**
     * How many terms {@link #loss} averages over (examples for encoder heads, target tokens for decoders), so
     * that micro-batch losses weighted by their share of units add up exactly to the whole batch's loss.
     */
    default int lossUnits(List<Example> batch) {
        return batch.size();
    }

    /** How a forward pass routes: by each example's task, or task-free (the mean of the task embeddings). */
    enum Routing {
        BY_TASK, TASK_FREE
    }

    /** Scores of each example: class probabilities, the regression value, or choice scores. */
    List<Prediction> predict(List<Example> batch, NDManager m, Routing routing);

    /** Tokens an example costs (all its sequences), for throughput figures and evaluation batches' token budget. */
    int tokens(Example e);

    /**
     * The longest of an example's sequences: every sequence of a batch is padded to the batch's longest, so this, not
     * {@link #tokens}, is what length bucketing sorts by (a multiple-choice example's choices each make a sequence).
     */
    default int longest(Example e) {
        return tokens(e);
    }

    /** What the oblivion figure measures for this model's family. */
    enum OblivionProbe {
        /** Zero-shot STS-B: Spearman of the cosine of task-free sentence embeddings (encoders). */
        STSB_ZERO_SHOT,
        /** Perplexity of held-out text (decoders). */
        HELD_OUT_PERPLEXITY
    }

    OblivionProbe oblivionProbe();

    /** Mean-pooled, L2-normalised sentence embeddings routed as {@code ctx} says (a task id, or task-free); encoders only. */
    default float[][] embed(List<String> texts, ForwardContext ctx, NDManager m) {
        throw new MooreException("embeddings need an encoder (BERT family), this is a " + base().family() + " model");
    }

    /** Perplexity of the lines under task-free routing; decoders only. */
    default double perplexity(List<String> lines, NDManager m) {
        throw new MooreException("perplexity needs a decoder (Llama family), this is a " + base().family() + " model");
    }

    /** Trainable tensors under their checkpoint names. */
    Map<String, HostTensor> state();

    /** Restores {@link #state()} from a checkpoint. */
    void loadState(Safetensors.Reader r);

    /** The id of a task: its position in {@link #tasks()}. */
    default int taskId(String task) {
        for (int i = 0; i < tasks().size(); i++) {
            if (tasks().get(i).name().equals(task)) {
                return i;
            }
        }
        throw new MooreException("unknown task '" + task + "' for this adapter (its tasks: "
                + String.join(", ", tasks().stream().map(TaskSpec::name).toList()) + ")");
    }

    @Override
    void close();

    /**
     * @param predicted predicted class / choice index (-1 for regression)
     * @param value     regression output (NaN otherwise)
     * @param scores    class probabilities or choice scores
     */
    record Prediction(int predicted, double value, double[] scores) {}
}
