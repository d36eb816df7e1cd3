package dev.moore4j.task;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.MooreException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * What a parser fills: the examples of one file and the count of bad rows skipped. A row that cannot become an
 * example throws {@link BadRow}: an error naming file:line or, with {@code --skip-bad-rows}, one skipped row.
 * The field readers every format shares live here too.
 */
final class Rows {
    private static final ObjectMapper JSON = new ObjectMapper();

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

    void add(int line, Supplier<Example> make) {
        try {
            out.add(make.get());
        } catch (BadRow e) {
            if (!skipBad) {
                throw new MooreException(where(line) + ": " + e.getMessage() + " (use --skip-bad-rows to skip such rows)");
            }
            skipped++;
        }
    }

    /** A row that cannot be turned into an example. */
    static final class BadRow extends RuntimeException {
        BadRow(String message) {
            super(message, null, false, false);
        }
    }

    /** Lines of JSON objects, each through {@code parser}; blank lines are skipped. */
    void jsonLines(List<String> lines, RowParser parser) {
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            int lineNo = i + 1;
            add(lineNo, () -> {
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (IOException e) {
                    throw new BadRow("not valid JSON: " + firstLine(e));
                }
                if (!node.isObject()) {
                    throw new BadRow("expected a JSON object");
                }
                return parser.parse(node, where(lineNo));
            });
        }
    }

    interface RowParser {
        Example parse(JsonNode node, String where);
    }

    static String firstLine(IOException e) {
        String m = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
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
}
