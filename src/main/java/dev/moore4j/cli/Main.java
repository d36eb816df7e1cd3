package dev.moore4j.cli;

import dev.moore4j.MooreException;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code moore} command. */
@Command(name = "moore", mixinStandardHelpOptions = true, version = "moore4j 0.1.0",
        description = "Mixture of Orthogonal Rank-one Experts: multi-task adaptation of pretrained transformers.",
        subcommands = {InspectCommand.class, AdaptCommand.class, AnalyzeCommand.class, MoeizeCommand.class, ParamsCommand.class, EmbedCommand.class, GenerateCommand.class, ChatCommand.class, ExportCommand.class, SuiteCommand.class,
                BenchCommand.class, TrainCommand.class, EvalCommand.class, PredictCommand.class, DemoCommand.class, ReportCommand.class, ServeCommand.class, ServeBenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command line; user errors print one line (no stack trace) and return 2. */
    public static int execute(String... args) {
        CommandLine cl = commandLine();
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            Throwable t = ex;
            while (t != null && !(t instanceof MooreException) && t.getCause() != null && t.getCause() != t) {
                t = t.getCause();
            }
            if (t instanceof MooreException) {
                System.err.println("error: " + t.getMessage());
                return 2;
            }
            if (ex instanceof IllegalArgumentException) {
                System.err.println("error: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cl.execute(args);
    }

    /** The {@code moore} command line as {@link #execute} parses it. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setOverwrittenOptionsAllowed(true); // the last of a repeated option wins, as in most CLIs
        withHelp(cl);
        return cl;
    }

    /** -h/--help on every command and subcommand (the top level also has -V/--version). */
    private static void withHelp(CommandLine cl) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            CommandLine.Model.CommandSpec spec = sub.getCommandSpec();
            if (spec.findOption("--help") == null && spec.findOption("-h") == null) {
                spec.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help message and exit.").build());
            }
            withHelp(sub);
        }
    }
}
