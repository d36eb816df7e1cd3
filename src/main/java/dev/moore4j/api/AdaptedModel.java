package dev.moore4j.api;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

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

    /** Sampling options of {@link #generate}: temperature 0 is greedy; {@code topP} is the nucleus mass. */
    public record GenerateOptions(int maxTokens, float temperature, float topP, long seed) {
        public static GenerateOptions greedy(int maxTokens) {
            return new GenerateOptions(maxTokens, 0f, 1f, 0);
        }
    }

    /** Generated text, token counts, and why it stopped: {@code "stop"} (end of text) or {@code "length"}. */
    public record Completion(String text, int promptTokens, int completionTokens, String finishReason) {}

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
        NDManager m = manager(threads);
        try {
            return new AdaptedModel(adapterDir.toString(), m, Checkpoint.open(adapterDir, baseModel, m), null);
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
        NDManager m = manager(threads);
        try {
            return new AdaptedModel(modelReference, m, null, ModelLoader.load(modelReference, m));
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
            check(spec, in);
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
                List<TaskModel.Prediction> p = taskModel.predict(part, manager, false);
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

    /**
     * A refused input: {@code field} names what is wrong in the input's own terms ({@code text},
     * {@code question}, {@code pair}, {@code choices}, {@code choices[2]}), {@code detail} says why; the server
     * and the CLI prefix the field with where the input came from.
     */
    public static final class InvalidInput extends MooreException {
        private final String field;
        private final String detail;

        InvalidInput(String field, String detail) {
            super(field + ": " + detail);
            this.field = field;
            this.detail = detail;
        }

        public String field() {
            return field;
        }

        public String detail() {
            return detail;
        }
    }

    /** Refuses an input whose shape is not its task kind's ({@link InvalidInput} names the field); the one check of every caller. */
    public static void check(TaskSpec spec, Input in) {
        boolean choice = spec.kind() == TaskKind.MULTIPLE_CHOICE;
        if (!choice && !in.choices().isEmpty()) {
            throw new InvalidInput("choices", "task '" + spec.name() + "' is " + spec.kind().label() + ", not multiple choice");
        }
        if (in.text() == null || in.text().isEmpty()) {
            throw new InvalidInput(choice ? "question" : "text", in.text() == null ? "missing" : "empty");
        }
        if (choice && in.choices().size() < 2) {
            throw new InvalidInput("choices", "task '" + spec.name() + "' is multiple choice: give at least two choices");
        }
        for (int c = 0; c < in.choices().size(); c++) {
            if (in.choices().get(c) == null || in.choices().get(c).isEmpty()) {
                throw new InvalidInput("choices[" + c + "]", "empty choice");
            }
        }
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
        if (!(model() instanceof DecoderModel decoder)) {
            throw new MooreException(name + ": completions need a decoder (Llama family), this is a " + model().family() + " model");
        }
        ForwardContext ctx = task == null ? ForwardContext.inference()
                : ForwardContext.tasks(false, taskModel == null ? unknownTask(task) : taskModel.taskId(task));
        int promptTokens = tokenizer().encode(prompt).length;
        int[] count = {0};
        String full = decoder.generate(tokenizer(), prompt, new DecoderModel.Sampling(o.maxTokens(), o.temperature(), o.topP(), o.seed()), ctx,
                piece -> {
                    count[0]++;
                    if (onText != null) {
                        onText.accept(piece);
                    }
                });
        String prefix = tokenizer().decode(tokenizer().encode(prompt));
        String text = full.startsWith(prefix) ? full.substring(prefix.length()) : full;
        int limit = Math.min(o.maxTokens(), maxTokens() - promptTokens);
        return new Completion(text, promptTokens, count[0], count[0] >= limit ? "length" : "stop");
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
