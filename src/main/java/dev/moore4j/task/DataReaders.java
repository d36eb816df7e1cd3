package dev.moore4j.task;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.MooreException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads the task files in the formats of ../shared/data (GLUE TSV, LLM-Adapters JSON, the original
 * WinoGrande / CommonsenseQA / BoolQ / HellaSwag JSON Lines) and user JSON Lines, each with its own parser. A
 * malformed row is an error naming file:line, unless {@link BadRows#SKIP}, when it is counted and skipped.
 */
public final class DataReaders {
    private DataReaders() {}

    /** What a read returned: the examples and how many bad rows were skipped. */
    public record Result(List<Example> examples, int skipped) {}

    public static Result read(TaskSpec spec, Path file, BadRows badRows) {
        if (!Files.isRegularFile(file)) {
            throw new MooreException(file + ": data file of task '" + spec.name() + "' not found (data root: --data, $MOORE4J_DATA or ../shared/data)");
        }
        List<String> lines = BoundedLines.read(file);
        Rows rows = new Rows(spec, file, badRows == BadRows.SKIP);
        parser(spec.format(), file).parse(lines, rows);
        if (rows.out.isEmpty()) {
            throw new MooreException(file + ": task '" + spec.name() + "' has no examples" + (rows.skipped > 0 ? " (" + rows.skipped + " bad rows skipped)" : ""));
        }
        return new Result(rows.out, rows.skipped);
    }

    /** The parser of one file of a format (the commonsense sets ship two encodings: {@link TaskSpec.Format.Commonsense#jsonLines}). */
    static FormatParser parser(TaskSpec.Format format, Path file) {
        if (format instanceof TaskSpec.Format.GlueTsv g) {
            return new GlueTsvParser(g);
        }
        if (format instanceof TaskSpec.Format.UserJsonl u) {
            return new UserJsonlParser(u);
        }
        return TaskSpec.Format.Commonsense.jsonLines(file) ? new CommonsenseJsonlParser() : new LlmAdaptersParser();
    }

    /** One LLM-Adapters item as an example (the fuzz targets drive it directly). */
    public static Example llmAdaptersItem(JsonNode n, TaskSpec spec, String where) {
        return LlmAdaptersParser.item(n, spec, where);
    }
}
