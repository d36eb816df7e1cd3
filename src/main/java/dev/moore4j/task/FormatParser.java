package dev.moore4j.task;

import java.util.List;

/** Turns the lines of one data file into examples of its task, into {@link Rows}, which counts or refuses bad rows. */
interface FormatParser {
    void parse(List<String> lines, Rows rows);
}
