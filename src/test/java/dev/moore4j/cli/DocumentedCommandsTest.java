package dev.moore4j.cli;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every {@code bin/moore} command that the README and docs/ show parses as the CLI reads it (nothing runs). */
class DocumentedCommandsTest {
    /** Parse errors of the commands, one line each naming the page and line; {@code moore spark} is the spark module's. */
    static List<String> problems(List<DocumentedCommands.Command> commands) {
        List<String> problems = new ArrayList<>();
        for (DocumentedCommands.Command c : commands) {
            if (!c.args().isEmpty() && c.args().get(0).equals("spark")) {
                continue;
            }
            try {
                CommandLine cl = Main.commandLine();
                if (names(cl, c.args())) {
                    continue; // prose naming a command ("`bin/moore train`"), not an example: it names one that exists
                }
                cl.parseArgs(c.args().toArray(String[]::new));
            } catch (CommandLine.ParameterException e) {
                problems.add(c.where() + ": " + c.text().strip() + " -> " + e.getMessage());
            }
        }
        return problems;
    }

    /** Whether the words are all (sub)command names of the command line, in order: a reference, not an invocation. */
    private static boolean names(CommandLine cl, List<String> words) {
        CommandLine at = cl;
        for (String w : words) {
            at = at.getSubcommands().get(w);
            if (at == null) {
                return false;
            }
        }
        return !words.isEmpty();
    }

    @Test
    void everyCommandInTheReadmeAndDocsParses() throws Exception {
        List<DocumentedCommands.Command> all = new ArrayList<>();
        for (Path page : DocumentedCommands.pages(Path.of("."))) {
            all.addAll(DocumentedCommands.in(page, Files.readString(page)));
        }
        assertThat(all).as("the README alone shows dozens").hasSizeGreaterThan(60);
        assertThat(all).extracting(c -> c.args().isEmpty() ? "" : c.args().get(0))
                .contains("demo", "train", "suite", "eval", "predict", "serve", "report", "analyze", "bench", "spark");
        assertThat(problems(all)).isEmpty();
    }

    @Test
    void aMistypedOptionOrSubcommandIsReportedWithItsPageAndLine() {
        String page = String.join("\n",
                "Run `bin/moore demo --max-train 8` first, then `bin/moore demo --max-trian 8`.",
                "```bash",
                "bin/moore suite nlu-mtl --sweep \\",
                "    --out runs/x   # a comment with --no-such-option",
                "MOORE4J_JOBS=2 bin/moore suite nlu-mtl --jobs two",
                "bin/moore trian --tasks sst2",
                "bin/moore bench train …",
                "```",
                "See `bin/moore train` for its options, and `bin/moore trains`.");
        List<DocumentedCommands.Command> commands = DocumentedCommands.in(Path.of("page.md"), page);
        assertThat(commands).extracting(DocumentedCommands.Command::where)
                .containsExactly("page.md:1", "page.md:1", "page.md:3", "page.md:5", "page.md:6", "page.md:9", "page.md:9");
        assertThat(commands.get(2).args()).containsExactly("suite", "nlu-mtl", "--sweep", "--out", "runs/x");
        List<String> problems = problems(commands);
        assertThat(problems).hasSize(4);
        assertThat(problems.get(0)).startsWith("page.md:1: bin/moore demo --max-trian 8 -> ").contains("--max-trian");
        assertThat(problems.get(1)).startsWith("page.md:5: ").contains("two");
        assertThat(problems.get(2)).startsWith("page.md:6: ").contains("trian");
        assertThat(problems.get(3)).startsWith("page.md:9: bin/moore trains -> ");
    }

    @Test
    void wordsAreReadAsBashReadsThem() {
        assertThat(DocumentedCommands.words("predict --task sst2 \"a gorgeous, witty film\" 'it''s' --pair \"say \\\"hi\\\"\" | head"))
                .containsExactly("predict", "--task", "sst2", "a gorgeous, witty film", "its", "--pair", "say \"hi\"");
        assertThat(DocumentedCommands.words("generate --prompt $'Is it?\\nAnswer:' --max-tokens 3 > out.txt"))
                .containsExactly("generate", "--prompt", "Is it?\nAnswer:", "--max-tokens", "3");
        assertThat(DocumentedCommands.words("demo --json 2>&1 && echo done")).containsExactly("demo", "--json");
        assertThat(DocumentedCommands.words("adapt minilm --method $m --json; done")).containsExactly("adapt", "minilm", "--method", "$m", "--json");
    }
}
