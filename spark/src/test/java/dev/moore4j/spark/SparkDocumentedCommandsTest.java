package dev.moore4j.spark;

import dev.moore4j.cli.DocumentedCommands;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every {@code bin/moore spark …} example in the README and docs/ parses as {@code moore spark} reads it (nothing runs). */
class SparkDocumentedCommandsTest {
    @Test
    void everySparkCommandInTheReadmeAndDocsParses() throws Exception {
        List<String> problems = new ArrayList<>();
        int examples = 0;
        for (Path page : DocumentedCommands.pages(Path.of("."))) {
            for (DocumentedCommands.Command c : DocumentedCommands.in(page, Files.readString(page))) {
                List<String> args = c.args();
                if (args.size() < 2 || !args.get(0).equals("spark") || !List.of("embed", "predict").contains(args.get(1)) && !args.get(1).startsWith("-")) {
                    continue; // another command, or prose ("`bin/moore spark` builds it")
                }
                examples++;
                try {
                    SparkMain.commandLine().parseArgs(args.subList(1, args.size()).toArray(String[]::new));
                } catch (CommandLine.ParameterException e) {
                    problems.add(c.where() + ": " + c.text().strip() + " -> " + e.getMessage());
                }
            }
        }
        assertThat(examples).as("the README's and spark.md's examples").isGreaterThanOrEqualTo(5);
        assertThat(problems).isEmpty();
    }
}
