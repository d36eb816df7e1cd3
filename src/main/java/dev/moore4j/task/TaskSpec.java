package dev.moore4j.task;

import java.nio.file.Path;
import java.util.List;

/**
 * A task: its name, kind, label set and where its data lives.
 *
 * @param name       stable name (also the key of its head and of its task id)
 * @param kind       classification, regression or multiple choice
 * @param labels     label names of a classification task (their order is the head's output order);
 *                   for multiple choice, the answer names the data uses ("answer1", "A", …), may be empty
 * @param metric     the headline metric: accuracy, mcc, f1 or spearman
 * @param train      training file, relative to the data root (or absolute)
 * @param eval       evaluation file
 * @param format     how the files are read ({@link DataReaders})
 * @param prompt     decoder instruction line (first line of the prompt)
 */
public record TaskSpec(String name, TaskKind kind, List<String> labels, String metric, String train, String eval, Format format,
                       String prompt) {
    public TaskSpec {
        labels = labels == null ? List.of() : List.copyOf(labels);
    }

    /** File formats we read. Column numbers are 0-based; -1 = absent. */
    public sealed interface Format {
        /** GLUE TSV, split on tabs without quoting. */
        record GlueTsv(boolean header, int text, int pair, int label) implements Format {}

        /**
         * The commonsense sets as ../shared/data ships them, in two encodings: LLM-Adapters JSON (an array of
         * {instruction, answer}, choices parsed from the instruction) and, for some splits, the original JSON
         * Lines of WinoGrande, CommonsenseQA, BoolQ and HellaSwag.
         */
        record Commonsense() implements Format {
            /** Whether a file of this format is the original JSON Lines (.jsonl) rather than LLM-Adapters JSON. */
            public static boolean jsonLines(Path file) {
                return file.getFileName().toString().endsWith(".jsonl");
            }
        }

        /** User JSON Lines: named text fields, a label field, optional choices field. */
        record UserJsonl(String textField, String pairField, String labelField, String choicesField) implements Format {}
    }
}
