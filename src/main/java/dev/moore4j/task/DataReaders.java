package dev.moore4j.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.MooreException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the task files in the formats of ../shared/data (GLUE TSV, LLM-Adapters JSON, the original
 * WinoGrande / CommonsenseQA / BoolQ / HellaSwag JSON Lines) and user JSON Lines. A malformed row
 * is an error naming file:line, unless {@code skipBadRows}, when it is counted and skipped.
 */
public final class DataReaders {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** "Answer1: text", "Option2: text", "Solution1: text", "Ending3: text" inside an LLM-Adapters instruction. */
    private static final Pattern NUMBERED_CHOICE = Pattern.compile("(?i)\\b(answer|option|solution|ending)(\\d+):\\s*");

    private DataReaders() {}

    /** What a read returned: the examples and how many bad rows were skipped. */
    public record Result(List<Example> examples, int skipped) {}

    public static Result read(TaskSpec spec, Path file, boolean skipBadRows) {
        if (!Files.isRegularFile(file)) {
            throw new MooreException(file + ": data file of task '" + spec.name() + "' not found (data root: --data, $MOORE4J_DATA or ../shared/data)");
        }
        List<String> lines = readBounded(file);
        Rows rows = new Rows(spec, file, skipBadRows);
        String name = file.getFileName().toString();
        if (spec.format() instanceof TaskSpec.Format.GlueTsv g) {
            glue(g, lines, rows);
        } else if (spec.format() instanceof TaskSpec.Format.UserJsonl u) {
            jsonl(lines, rows, (node, where) -> user(u, node, where, spec));
        } else if (name.endsWith(".jsonl")) {
            jsonl(lines, rows, (node, where) -> nativeCommonsense(node, where, spec));
        } else {
            llmAdapters(String.join("\n", lines), rows);
        }
        if (rows.out.isEmpty()) {
            throw new MooreException(file + ": task '" + spec.name() + "' has no examples" + (rows.skipped > 0 ? " (" + rows.skipped + " bad rows skipped)" : ""));
        }
        return new Result(rows.out, rows.skipped);
    }

    /**
     * Limits on what a data file may make us hold, each raisable by an environment variable: file size
     * ({@code MOORE4J_MAX_DATA_MB}, 512), rows ({@code MOORE4J_MAX_ROWS}, 5,000,000) and row length
     * ({@code MOORE4J_MAX_ROW_KB}, 1024). Checked before (size) and while (rows, row length) reading, so a
     * hostile file is refused before it costs more memory than the limits allow.
     */
    record Limits(long maxBytes, long maxRows, long maxRowChars) {
        static Limits fromEnv() {
            return new Limits(env("MOORE4J_MAX_DATA_MB", 512) << 20, env("MOORE4J_MAX_ROWS", 5_000_000), env("MOORE4J_MAX_ROW_KB", 1024) << 10);
        }

        private static long env(String name, long dflt) {
            String v = System.getenv(name);
            if (v == null || v.isBlank()) {
                return dflt;
            }
            try {
                long x = Long.parseLong(v.trim());
                if (x < 1) {
                    throw new NumberFormatException();
                }
                return x;
            } catch (NumberFormatException e) {
                throw new MooreException("$" + name + " must be a positive integer, got '" + v + "'");
            }
        }
    }

    static List<String> readBounded(Path file) {
        return readBounded(file, Limits.fromEnv());
    }

    static List<String> readBounded(Path file, Limits lim) {
        try {
            long size = Files.size(file);
            if (size > lim.maxBytes()) {
                throw new MooreException(file + ": " + size + " bytes, over the limit of " + (lim.maxBytes() >> 20) + " MiB for a data file (raise $MOORE4J_MAX_DATA_MB)");
            }
            List<String> lines = new ArrayList<>();
            try (java.io.BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                StringBuilder sb = new StringBuilder();
                int c;
                while ((c = r.read()) != -1 || sb.length() > 0) {
                    if (c == -1 || c == '\n') {
                        if (sb.length() > 0 && sb.charAt(sb.length() - 1) == '\r') {
                            sb.setLength(sb.length() - 1);
                        }
                        if (lines.size() >= lim.maxRows()) {
                            throw new MooreException(file + ": more than " + lim.maxRows() + " rows (raise $MOORE4J_MAX_ROWS)");
                        }
                        lines.add(sb.toString());
                        sb.setLength(0);
                        if (c == -1) {
                            break;
                        }
                    } else {
                        if (sb.length() >= lim.maxRowChars()) {
                            throw new MooreException(file + ":" + (lines.size() + 1) + ": row longer than " + (lim.maxRowChars() >> 10)
                                    + " KiB characters (raise $MOORE4J_MAX_ROW_KB)");
                        }
                        sb.append((char) c);
                    }
                }
            }
            return lines;
        } catch (java.nio.charset.MalformedInputException e) {
            throw new MooreException(file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new MooreException(file + ": cannot read: " + e.getMessage());
        }
    }

    /** Collects examples; a bad row throws or is skipped. */
    private static final class Rows {
        final TaskSpec spec;
        final Path file;
        final boolean skipBad;
        final List<Example> out = new ArrayList<>();
        int skipped;

        Rows(TaskSpec spec, Path file, boolean skipBad) {
            this.spec = spec;
            this.file = file;
            this.skipBad = skipBad;
        }

        String where(int line) {
            return file + ":" + line;
        }

        void add(int line, java.util.function.Supplier<Example> make) {
            try {
                out.add(make.get());
            } catch (BadRow e) {
                if (!skipBad) {
                    throw new MooreException(where(line) + ": " + e.getMessage() + " (use --skip-bad-rows to skip such rows)");
                }
                skipped++;
            }
        }
    }

    /** A row that cannot be turned into an example. */
    static final class BadRow extends RuntimeException {
        BadRow(String message) {
            super(message, null, false, false);
        }
    }

    private static void glue(TaskSpec.Format.GlueTsv g, List<String> lines, Rows rows) {
        TaskSpec spec = rows.spec;
        int first = g.header() ? 1 : 0;
        for (int i = first; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty()) {
                continue;
            }
            int lineNo = i + 1;
            rows.add(lineNo, () -> {
                String[] cols = line.split("\t", -1);
                int need = Math.max(g.text(), Math.max(g.pair(), g.label())) + 1;
                if (cols.length < need) {
                    throw new BadRow("expected at least " + need + " tab-separated columns, found " + cols.length);
                }
                String text = cols[g.text()].strip().replace("\uFEFF", "");
                String pair = g.pair() >= 0 ? cols[g.pair()].strip() : null;
                String raw = cols[g.label() >= 0 ? g.label() : cols.length - 1].strip(); // -1: last column (MNLI gold_label)
                String where = rows.where(lineNo);
                if (spec.kind() == TaskKind.REGRESSION) {
                    return new Example(spec.name(), text, pair, List.of(), -1, parseFloat(raw), where);
                }
                return new Example(spec.name(), text, pair, List.of(), labelIndex(spec, raw), Float.NaN, where);
            });
        }
    }

    static float parseFloat(String raw) {
        try {
            float v = Float.parseFloat(raw);
            if (!Float.isFinite(v)) {
                throw new BadRow("target '" + raw + "' is not a finite number");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new BadRow("target '" + raw + "' is not a number");
        }
    }

    /** A label given by name, or by its index in the label set. */
    static int labelIndex(TaskSpec spec, String raw) {
        int idx = spec.labels().indexOf(raw);
        if (idx >= 0) {
            return idx;
        }
        if (raw.matches("\\d{1,9}")) { // an index; longer digit runs cannot be one (and would overflow)
            int n = Integer.parseInt(raw);
            if (n < spec.labels().size()) {
                return n;
            }
        }
        throw new BadRow("label '" + raw + "' is not in the label set " + spec.labels() + " of task '" + spec.name() + "'");
    }

    private interface RowParser {
        Example parse(JsonNode node, String where);
    }

    private static void jsonl(List<String> lines, Rows rows, RowParser parser) {
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            int lineNo = i + 1;
            rows.add(lineNo, () -> {
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (IOException e) {
                    throw new BadRow("not valid JSON: " + firstLine(e));
                }
                if (!node.isObject()) {
                    throw new BadRow("expected a JSON object");
                }
                return parser.parse(node, rows.where(lineNo));
            });
        }
    }

    private static String firstLine(IOException e) {
        String m = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
        return m == null ? e.toString() : m.lines().findFirst().orElse("");
    }

    static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new BadRow("missing field '" + field + "'");
        }
        if (!v.isValueNode()) {
            throw new BadRow("field '" + field + "' is not a string");
        }
        return v.asText();
    }

    private static Example user(TaskSpec.Format.UserJsonl u, JsonNode node, String where, TaskSpec spec) {
        String text = text(node, u.textField());
        String pair = u.pairField() == null ? null : text(node, u.pairField());
        String raw = text(node, u.labelField());
        return switch (spec.kind()) {
            case REGRESSION -> new Example(spec.name(), text, pair, List.of(), -1, parseFloat(raw), where);
            case CLASSIFICATION -> new Example(spec.name(), text, pair, List.of(), labelIndex(spec, raw), Float.NaN, where);
            case MULTIPLE_CHOICE -> {
                JsonNode c = node.get(u.choicesField());
                if (c == null || !c.isArray() || c.size() < 2) {
                    throw new BadRow("field '" + u.choicesField() + "' must be an array of at least 2 choices");
                }
                List<String> choices = new ArrayList<>();
                c.forEach(x -> choices.add(x.asText()));
                int label = choices.indexOf(raw);
                if (label < 0 && raw.matches("\\d{1,9}") && Integer.parseInt(raw) < choices.size()) {
                    label = Integer.parseInt(raw);
                }
                if (label < 0) {
                    throw new BadRow("label '" + raw + "' is neither one of the choices nor a choice index");
                }
                yield new Example(spec.name(), text, pair, choices, label, Float.NaN, where);
            }
        };
    }

    /** The original JSON Lines of WinoGrande, CommonsenseQA, BoolQ (with passage) and HellaSwag. */
    private static Example nativeCommonsense(JsonNode n, String where, TaskSpec spec) {
        if (n.has("sentence") && n.has("option1")) { // WinoGrande
            int label = switch (text(n, "answer")) {
                case "1" -> 0;
                case "2" -> 1;
                default -> throw new BadRow("field 'answer' must be \"1\" or \"2\"");
            };
            return new Example(spec.name(), text(n, "sentence"), null, List.of(text(n, "option1"), text(n, "option2")), label, Float.NaN, where);
        }
        if (n.path("question").has("stem")) { // CommonsenseQA
            JsonNode q = n.get("question");
            List<String> keys = new ArrayList<>();
            List<String> choices = new ArrayList<>();
            for (JsonNode c : q.path("choices")) {
                keys.add(text(c, "label"));
                choices.add(text(c, "text"));
            }
            int label = keys.indexOf(text(n, "answerKey"));
            if (choices.size() < 2 || label < 0) {
                throw new BadRow("answerKey '" + n.path("answerKey").asText() + "' is not one of the choice labels " + keys);
            }
            return new Example(spec.name(), text(q, "stem"), null, choices, label, Float.NaN, where);
        }
        if (n.has("passage") && n.has("question")) { // BoolQ with passage
            boolean answer = n.path("answer").asBoolean();
            return new Example(spec.name(), text(n, "question") + "?", text(n, "passage"), List.of("true", "false"), answer ? 0 : 1, Float.NaN, where);
        }
        if (n.has("ctx") && n.has("endings")) { // HellaSwag
            List<String> endings = new ArrayList<>();
            n.get("endings").forEach(e -> endings.add(e.asText()));
            int label = n.path("label").asInt(-1);
            if (label < 0 || label >= endings.size()) {
                throw new BadRow("field 'label' is not an index into 'endings'");
            }
            return new Example(spec.name(), text(n, "ctx"), null, endings, label, Float.NaN, where);
        }
        throw new BadRow("unrecognised JSON Lines row (expected WinoGrande, CommonsenseQA, BoolQ or HellaSwag fields)");
    }

    /**
     * LLM-Adapters JSON: "…question: Q\n\nAnswer1: a Answer2: b …\n\nAnswer format: answer1/answer2/…" with the
     * gold answer in "answer". True/false tasks (BoolQ) have no numbered choices; the answer format is the choice list.
     */
    private static void llmAdapters(String content, Rows rows) {
        JsonNode root;
        try {
            root = JSON.readTree(content);
        } catch (IOException e) {
            throw new MooreException(rows.file + ": not valid JSON: " + firstLine(e));
        }
        if (!root.isArray()) {
            throw new MooreException(rows.file + ": expected a JSON array of {instruction, answer} objects");
        }
        for (int i = 0; i < root.size(); i++) {
            JsonNode n = root.get(i);
            int item = i + 1; // "file:N" names the N-th array element
            rows.add(item, () -> llmAdaptersItem(n, rows.spec, rows.file + ":" + item));
        }
    }

    static Example llmAdaptersItem(JsonNode n, TaskSpec spec, String where) {
        String instruction = text(n, "instruction");
        String answer = text(n, "answer").strip().toLowerCase();
        int formatAt = instruction.lastIndexOf("Answer format:");
        if (formatAt < 0) {
            throw new BadRow("instruction has no 'Answer format:' line");
        }
        List<String> names = new ArrayList<>();
        for (String s : instruction.substring(formatAt + "Answer format:".length()).strip().split("/")) {
            names.add(s.strip().toLowerCase());
        }
        String body = instruction.substring(0, formatAt).strip();
        Matcher m = NUMBERED_CHOICE.matcher(body);
        List<String> choices = new ArrayList<>();
        String question;
        if (m.find()) {
            question = body.substring(0, m.start()).strip();
            int start = m.end();
            while (m.find()) {
                choices.add(body.substring(start, m.start()).strip());
                start = m.end();
            }
            choices.add(body.substring(start).strip());
        } else {
            question = body;
            choices.addAll(names);
        }
        int colon = question.indexOf(": ");
        if (colon >= 0 && colon < 120) { // drop the instruction ("Please choose the correct answer to the question: ")
            question = question.substring(colon + 2).strip();
        }
        if (choices.size() != names.size()) {
            throw new BadRow(choices.size() + " choices in the instruction but " + names.size() + " names in its answer format");
        }
        int label = names.indexOf(answer);
        if (label < 0) {
            throw new BadRow("answer '" + answer + "' is not in the answer format " + names);
        }
        return new Example(spec.name(), question, null, choices, label, Float.NaN, where);
    }
}
