package dev.moore4j.api;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import dev.moore4j.io.WeightsDtype;
import dev.moore4j.MooreException;
import dev.moore4j.checkpoint.Checkpoint;
import dev.moore4j.engine.Engines;
import dev.moore4j.linalg.Svd;
import dev.moore4j.model.DecoderModel;
import dev.moore4j.model.EncoderModel;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.TransformerModel;
import dev.moore4j.model.load.ModelLoader;
import dev.moore4j.mtl.TaskModel;
import dev.moore4j.task.Example;
import dev.moore4j.task.TaskKind;
import dev.moore4j.task.TaskSpec;
import dev.moore4j.tokenizer.ChatTemplate;
import dev.moore4j.tokenizer.TextTokenizer;
import dev.moore4j.util.NativeTrimmer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The Java entry point: an adapter checkpoint (or a plain base model) opened for inference, answering
 * every task of the adapter with one set of weights.
 *
 * <pre>{@code
 * try (AdaptedModel model = AdaptedModel.open(Path.of("runs/demo/runs/main-moore-lr1e-4-s1/best"))) {
 *     float[][] e = model.embed(List.of("a happy film"), "sst2");            // routed as SST-2
 *     List<AdaptedModel.Prediction> p = model.predict(List.of(AdaptedModel.Input.text("sst2", "a happy film")));
 * }
 * }</pre>
 *
 * <p>Every call takes a list, and a list may mix tasks: it runs as one forward pass with a task id per
 * input, which is what lets a server batch requests of different tasks together. A {@code null} task means
 * task-free routing (the mean task embedding), which is also all a base model without adapter offers.
 * Calls are serialised on this object (one forward at a time; libtorch parallelises inside it).
 */
public final class AdaptedModel implements AutoCloseable {
    private final String name;
    private final NDManager manager;
    private final TaskModel taskModel; // null for a base model
    private final ModelLoader.Loaded base; // null when taskModel owns it
    private final Checkpoint.Opened opened;

    /** A task of the adapter: its name, kind ({@code classification}, {@code regression}, {@code multiple-choice}) and labels. */
    public record TaskInfo(String name, String kind, List<String> labels) {}

    /**
     * One input of {@link #predict}: a text (and optional second text of a pair) for classification and
     * regression; a question and its choices for multiple choice.
     */
    public record Input(String task, String text, String pair, List<String> choices) {
        public Input {
            choices = choices == null ? List.of() : List.copyOf(choices);
        }

        public static Input text(String task, String text) {
            return new Input(task, text, null, null);
        }

        public static Input pair(String task, String text, String pair) {
            return new Input(task, text, pair, null);
        }

        public static Input choice(String task, String question, List<String> choices) {
            return new Input(task, question, null, choices);
        }
    }

    /**
     * A prediction: {@code label} and {@code probabilities} (classification), {@code value} (regression),
     * {@code choice}, {@code index} and {@code scores} (multiple choice; for a decoder, also classification).
     */
    public record Prediction(String task, String label, Map<String, Double> probabilities, Double value, String choice, Integer index,
                             double[] scores) {}

    /**
     * Sampling options of {@link #generate}: temperature 0 is greedy; {@code topP} is the nucleus mass; the text ends before
     * the first of {@code stop}; {@code logprobs} asks for each chosen token's log-probability.
     */
    public record GenerateOptions(int maxTokens, float temperature, float topP, long seed, List<String> stop, boolean logprobs) {
        public GenerateOptions {
            stop = List.copyOf(stop);
        }

        public GenerateOptions(int maxTokens, float temperature, float topP, long seed) {
            this(maxTokens, temperature, topP, seed, List.of(), false);
        }

        public static GenerateOptions greedy(int maxTokens) {
            return new GenerateOptions(maxTokens, 0f, 1f, 0);
        }

        /** The same options with another seed (the {@code i}-th of {@code n} answers to one request). */
        public GenerateOptions withSeed(long s) {
            return new GenerateOptions(maxTokens, temperature, topP, s, stop, logprobs);
        }
    }

    /** A generated token as text, with its log-probability under the model. */
    public record TokenLogprob(String token, float logprob) {}

    /**
     * Generated text, token counts, and why it stopped: {@code "stop"} (an end token or a stop string) or {@code "length"};
     * the chosen tokens' log-probabilities when asked for (else null).
     */
    public record Completion(String text, int promptTokens, int completionTokens, String finishReason, List<TokenLogprob> logprobs) {}

    private AdaptedModel(String name, NDManager manager, Checkpoint.Opened opened, ModelLoader.Loaded base) {
        this.name = name;
        this.manager = manager;
        this.opened = opened;
        this.taskModel = opened == null ? null : opened.model();
        this.base = base;
        System.gc(); // parsing the checkpoint leaves large transient heap and native arenas; give both back before serving
        NativeTrimmer.trimNow();
    }

    /** Opens an adapter checkpoint directory (from {@code moore train}) on its recorded base model, all cores. */
    public static AdaptedModel open(Path adapterDir) {
        return open(adapterDir, Engines.defaultThreads());
    }

    public static AdaptedModel open(Path adapterDir, int threads) {
        return open(adapterDir, null, threads);
    }

    /** Opens an adapter checkpoint on {@code baseModel} instead of its recorded base (null: the recorded one); the weights must be the same. */
    public static AdaptedModel open(Path adapterDir, String baseModel, int threads) {
        return open(adapterDir, baseModel, threads, null);
    }

    /** As {@link #open(Path, String, int)}, the frozen weights held as {@code dtype} (null: as the adapter was trained). */
    public static AdaptedModel open(Path adapterDir, String baseModel, int threads, WeightsDtype dtype) {
        NDManager m = manager(threads);
        try {
            return new AdaptedModel(adapterDir.toString(), m, Checkpoint.open(adapterDir, baseModel, dtype, m), null);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** A base model without adapter ({@code minilm}, {@code stories260K}, a directory …): embeddings or generation, no tasks. */
    public static AdaptedModel base(String modelReference) {
        return base(modelReference, Engines.defaultThreads());
    }

    public static AdaptedModel base(String modelReference, int threads) {
        return base(modelReference, threads, WeightsDtype.FP32);
    }

    /** A base model, its frozen weights held as {@code dtype}. */
    public static AdaptedModel base(String modelReference, int threads, WeightsDtype dtype) {
        NDManager m = manager(threads);
        try {
            return new AdaptedModel(modelReference, m, null, ModelLoader.load(modelReference, m, dtype));
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private static NDManager manager(int threads) {
        Svd.setThreads(threads);
        return Engines.newManager(threads);
    }

    /** The adapter directory or model reference this was opened from. */
    public String name() {
        return name;
    }

    /** The opened checkpoint (task model, training config, base), or null for a base model. */
    public Checkpoint.Opened checkpoint() {
        return opened;
    }

    /** The manager that owns this model's tensors; sub-managers of it run its forward passes. */
    public NDManager manager() {
        return manager;
    }

    /** The base model's reference (alias, directory or file) as loaded. */
    public String baseReference() {
        return opened != null ? opened.loaded().reference() : base.reference();
    }

    public TransformerModel model() {
        return taskModel != null ? taskModel.base() : base.model();
    }

    public TextTokenizer tokenizer() {
        return taskModel != null ? opened.loaded().tokenizer() : base.tokenizer();
    }

    public boolean isEncoder() {
        return model() instanceof EncoderModel;
    }

    /** The adapter's tasks (empty for a base model). */
    public List<TaskInfo> tasks() {
        if (taskModel == null) {
            return List.of();
        }
        return taskModel.tasks().stream().map(t -> new TaskInfo(t.name(), t.kind().label(), t.labels())).toList();
    }

    /** The spec of a task, or an error naming the adapter's tasks. */
    public TaskSpec task(String task) {
        if (taskModel == null) {
            throw new MooreException("model " + name + " has no tasks (it is a base model without adapter)");
        }
        return taskModel.tasks().get(taskModel.taskId(task));
    }

    /** Embedding width. */
    public int dimension() {
        return model().hiddenSize();
    }

    /** Tokens a text costs, special tokens included (a pair when {@code pair} is not null). */
    public int countTokens(String text, String pair) {
        return pair == null ? tokenizer().encode(text).length : tokenizer().encodePair(text, pair).length;
    }

    /** Tokens of the text (or pair), or -1 when it is longer than the model takes and would be cut short; one tokenization. */
    public int countTokensWithin(String text, String pair) {
        int n = tokenizer().countWithin(text, pair);
        return n > maxTokens() ? -1 : n;
    }

    /** The longest sequence the model accepts, in tokens. */
    public int maxTokens() {
        return model().maxPositions();
    }

    /** Mean-pooled, L2-normalised embeddings of texts, all routed as {@code task} ({@code null}: task-free). */
    public float[][] embed(List<String> texts, String task) {
        List<String> tasks = new ArrayList<>();
        texts.forEach(t -> tasks.add(task));
        return embed(texts, tasks);
    }

    /**
     * Embeddings of texts with a task (or {@code null}) each. Inputs of different tasks share forward
     * passes; they are ordered by length and cut into chunks of {@value #CHUNK}, so that little compute goes
     * to padding (on a CPU a forward costs in proportion to its padded tokens).
     */
    public synchronized float[][] embed(List<String> texts, List<String> tasks) {
        if (!(model() instanceof EncoderModel encoder)) {
            throw new MooreException(name + ": embeddings need an encoder (BERT family), this is a " + model().family() + " model");
        }
        int[] ids = new int[texts.size()];
        int[] lengths = new int[texts.size()];
        for (int i = 0; i < ids.length; i++) {
            String t = tasks.get(i);
            ids[i] = t == null ? ForwardContext.MEAN_TASK : taskModel == null ? unknownTask(t) : taskModel.taskId(t);
            lengths[i] = tokenizer().encode(texts.get(i)).length;
        }
        float[][] out = new float[texts.size()][];
        for (int[] chunk : chunks(lengths)) {
            List<String> part = new ArrayList<>();
            int[] partIds = new int[chunk.length];
            for (int j = 0; j < chunk.length; j++) {
                part.add(texts.get(chunk[j]));
                partIds[j] = ids[chunk[j]];
            }
            ForwardContext ctx = new ForwardContext(partIds, false);
            float[][] e;
            try (NDScope scope = new NDScope()) {
                e = taskModel != null ? taskModel.embed(part, ctx, manager) : encoder.embed(tokenizer(), part, ctx);
            }
            for (int j = 0; j < chunk.length; j++) {
                out[chunk[j]] = e[j];
            }
        }
        return out;
    }

    /** Sequences per forward pass at most. */
    static final int CHUNK = 32;

    /** Indices ordered by length, cut into chunks of at most {@link #CHUNK}. */
    static List<int[]> chunks(int[] lengths) {
        Integer[] order = new Integer[lengths.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> lengths[i]));
        List<int[]> out = new ArrayList<>();
        for (int from = 0; from < order.length; from += CHUNK) {
            int[] c = new int[Math.min(CHUNK, order.length - from)];
            for (int j = 0; j < c.length; j++) {
                c[j] = order[from + j];
            }
            out.add(c);
        }
        return out;
    }

    private int unknownTask(String task) {
        throw new MooreException("unknown task '" + task + "': model " + name + " has no tasks (it is a base model without adapter)");
    }

    /** Predictions for inputs of any tasks of the adapter, in one forward pass. */
    public synchronized List<Prediction> predict(List<Input> inputs) {
        if (taskModel == null) {
            throw new MooreException("model " + name + " has no tasks (it is a base model without adapter): nothing to predict");
        }
        List<Example> batch = new ArrayList<>();
        List<TaskSpec> specs = new ArrayList<>();
        for (Input in : inputs) {
            TaskSpec spec = task(in.task());
            Inputs.check(spec, in);
            specs.add(spec);
            batch.add(new Example(spec.name(), in.text(), in.pair(), in.choices(), 0, Float.NaN, "request"));
        }
        TaskModel.Prediction[] raw = new TaskModel.Prediction[batch.size()];
        int[] lengths = batch.stream().mapToInt(taskModel::tokens).toArray();
        for (int[] chunk : chunks(lengths)) {
            List<Example> part = new ArrayList<>();
            for (int i : chunk) {
                part.add(batch.get(i));
            }
            try (NDScope scope = new NDScope()) {
                List<TaskModel.Prediction> p = taskModel.predict(part, manager, TaskModel.Routing.BY_TASK);
                for (int j = 0; j < chunk.length; j++) {
                    raw[chunk[j]] = p.get(j);
                }
            }
        }
        List<Prediction> out = new ArrayList<>();
        for (int i = 0; i < raw.length; i++) {
            out.add(describe(specs.get(i), inputs.get(i), raw[i]));
        }
        return out;
    }

    private static Prediction describe(TaskSpec spec, Input in, TaskModel.Prediction p) {
        return switch (spec.kind()) {
            case REGRESSION -> new Prediction(spec.name(), null, null, p.value(), null, null, null);
            case CLASSIFICATION -> {
                Map<String, Double> probs = new LinkedHashMap<>();
                for (int c = 0; c < p.scores().length; c++) {
                    probs.put(spec.labels().get(c), p.scores()[c]);
                }
                yield new Prediction(spec.name(), spec.labels().get(p.predicted()), probs, null, null, null, null);
            }
            case MULTIPLE_CHOICE -> new Prediction(spec.name(), null, null, null, in.choices().get(p.predicted()), p.predicted(), p.scores());
        };
    }

    /**
     * Generates after {@code prompt} with a decoder, routed as {@code task} ({@code null}: task-free);
     * {@code onText} (may be null) receives each decoded piece as it comes.
     */
    public synchronized Completion generate(String prompt, GenerateOptions o, String task, Consumer<String> onText) {
        return generate(tokenizer().encode(prompt), o, task, onText);
    }

    /** As {@link #generate(String, GenerateOptions, String, Consumer)}, after a prompt already tokenized (a rendered conversation). */
    public synchronized Completion generate(long[] promptIds, GenerateOptions o, String task, Consumer<String> onText) {
        return Completions.run(decoder(), tokenizer(), promptIds, o, routing(task), loaded().endTokens(), onText);
    }

    /** The checkpoint's chat template; empty when it has none (an encoder, a base model without tokenizer_config.json's). */
    public java.util.Optional<ChatTemplate> chatTemplate() {
        return java.util.Optional.ofNullable(loaded().chatTemplate());
    }

    /** The prompt the chat template renders for a conversation, the assistant's turn opened. */
    public String chatPrompt(List<ChatTemplate.Message> messages) {
        ChatTemplate t = chatTemplate().orElseThrow(() -> new MooreException(name + ": the model has no chat template (no chat_template in "
                + "tokenizer_config.json, no chat_template.jinja); use completions"));
        return t.render(messages, true);
    }

    /** The assistant's answer to a conversation, rendered by the model's own chat template (see {@link #generate}). */
    public synchronized Completion chat(List<ChatTemplate.Message> messages, GenerateOptions o, String task, Consumer<String> onText) {
        return generate(chatIds(messages), o, task, onText);
    }

    /** The ids of the rendered conversation, tokenized without adding special tokens (the template wrote them). */
    public long[] chatIds(List<ChatTemplate.Message> messages) {
        return tokenizer().encodeRaw(chatPrompt(messages));
    }

    /** A batch of sequences decoded together ({@link DecodeLoop}); each of its calls holds this model, as every call here does. */
    DecoderModel.Batch decodeBatch() {
        synchronized (this) {
            return new SynchronizedBatch(decoder().newBatch(), this);
        }
    }

    long kvBytesPerPosition() {
        return decoder().kvBytesPerPosition();
    }

    /** The task id a task routes by ({@link ForwardContext#MEAN_TASK} for none: task-free). */
    int taskIdOf(String task) {
        return task == null ? ForwardContext.MEAN_TASK : taskModel == null ? unknownTask(task) : taskModel.taskId(task);
    }

    java.util.Set<Long> endTokens() {
        return loaded().endTokens();
    }

    private DecoderModel decoder() {
        if (!(model() instanceof DecoderModel decoder)) {
            throw new MooreException(name + ": completions need a decoder (Llama family), this is a " + model().family() + " model");
        }
        return decoder;
    }

    private ForwardContext routing(String task) {
        return task == null ? ForwardContext.inference() : ForwardContext.tasks(false, taskIdOf(task));
    }

    private ModelLoader.Loaded loaded() {
        return taskModel != null ? opened.loaded() : base;
    }

    @Override
    public synchronized void close() {
        if (opened != null) {
            opened.close();
        }
        if (base != null) {
            base.close();
        }
        manager.close();
    }
}
