package dev.moore4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.MooreException;
import dev.moore4j.harness.OverallScore;
import dev.moore4j.harness.ResultsDb;
import dev.moore4j.harness.RunId;
import dev.moore4j.harness.Suite;
import dev.moore4j.harness.SuiteReport;
import dev.moore4j.harness.SuiteReport.MethodRow;
import dev.moore4j.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * One self-contained HTML page of a suite's results (or of runs reported like one): the ranked table and its
 * intervals, a method × task heat map, accuracy against cost, oblivion, rate sensitivity, training curves,
 * routing of MoORE and the mixtures, and provenance. Charts are inline SVG; the page loads nothing, runs no
 * script and names no URL, so it opens offline, in a mail attachment or from an archive years later.
 */
public final class HtmlReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ResultsDb db;
    private final String suite;
    private final StringBuilder out = new StringBuilder();
    private final OverallScore score;
    /** The sections, in page order. */
    private final List<PageSection> sections;

    private HtmlReport(ResultsDb db, String suite, java.util.Set<String> routingOf) {
        this.db = db;
        this.suite = suite;
        this.score = db.overallScore(suite);
        var c = new PageSection.Context(db, suite, routingOf, score, out);
        this.sections = List.of(new RankingSection(c), new TasksSection(c), new CostSection(c), new OblivionSection(c), new SensitivitySection(c),
                new CurvesSection(c), new RoutingSection(c), new SequentialSection(c), new ProvenanceSection(c)).stream().filter(PageSection::applies).toList();
    }

    /** The page's name in a suite's output directory, next to {@code results.md}. */
    public static final String PAGE = "report.html";

    /** Writes {@code dir/report.html} for a suite (what {@code moore suite} does after every finished run). */
    public static void writeSuite(ResultsDb db, String suite, Path dir) {
        AtomicFiles.writeString(dir.resolve(PAGE), html(db, suite, Suite.DB));
    }

    /** The page for one suite of a results database; {@code source} says where the data came from. */
    public static String html(ResultsDb db, String suite, String source) {
        return new HtmlReport(db, suite, null).page(source);
    }

    /**
     * Writes the page for what {@code dir} holds: a suite's {@code results.sqlite} (every suite in it, the first
     * when there are several and {@code suite} is null), a run directory with {@code summary.json}, or a directory
     * of run directories.
     */
    public static void write(Path dir, String suite, Path outFile) {
        write(dir, suite, outFile, null);
    }

    /**
     * As {@link #write(Path, String, Path)}, drawing the routing of the given methods only (null: of every method with an
     * analysis). Each routing analysis adds half a megabyte of SVG; a page meant to be committed or mailed keeps a few.
     */
    public static void write(Path dir, String suite, Path outFile, java.util.Set<String> routingOf) {
        Path dbFile = Files.isRegularFile(dir) ? dir : dir.resolve(Suite.DB);
        if (Files.isRegularFile(dbFile)) {
            try (ResultsDb db = ResultsDb.open(dbFile)) {
                List<String> suites = db.suites();
                if (suites.isEmpty()) {
                    throw new MooreException(dbFile + ": no runs recorded");
                }
                String name = suite != null ? suite : suites.get(0);
                if (!suites.contains(name)) {
                    throw new MooreException(dbFile + ": no suite '" + name + "' (it holds " + String.join(", ", suites) + ")");
                }
                AtomicFiles.writeString(outFile, new HtmlReport(db, name, routingOf).page(dbFile.getFileName().toString()));
            }
            return;
        }
        List<Path> runs = runDirs(dir);
        try (ResultsDb db = ResultsDb.inMemory()) {
            String name = suite != null ? suite : dir.toAbsolutePath().normalize().getFileName().toString();
            for (Path run : runs) {
                JsonNode summary = readSummary(run);
                JsonNode cfg = summary.path("config");
                db.record(new RunId(name, RunId.MAIN, summary.path("method").asText("?"), cfg.path("seed").asLong(0), cfg.path("lr").asDouble(0)), run, summary);
            }
            AtomicFiles.writeString(outFile, new HtmlReport(db, name, routingOf)
                    .page(runs.size() == 1 ? "run " + runs.get(0).getFileName() : runs.size() + " runs under " + dir));
        }
    }

    private static List<Path> runDirs(Path dir) {
        if (Files.isRegularFile(dir.resolve("summary.json"))) {
            return List.of(dir);
        }
        if (!Files.isDirectory(dir)) {
            throw new MooreException(dir + ": no such directory (give a suite directory with " + Suite.DB + ", a run directory with summary.json, "
                    + "or a directory of run directories)");
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> runs = s.filter(p -> Files.isRegularFile(p.resolve("summary.json"))).sorted().toList();
            if (runs.isEmpty()) {
                throw new MooreException(dir + ": neither " + Suite.DB + " nor run directories with summary.json");
            }
            return runs;
        } catch (IOException e) {
            throw new MooreException(dir + ": cannot list runs: " + e.getMessage());
        }
    }

    private static JsonNode readSummary(Path run) {
        Path f = run.resolve("summary.json");
        try {
            JsonNode n = JSON.readTree(f.toFile());
            if (!n.path("eval").isObject()) {
                throw new MooreException(f + ": no 'eval' (the run has not evaluated yet)");
            }
            return n;
        } catch (IOException e) {
            throw new MooreException(f + ": cannot read: " + e.getMessage());
        }
    }

    private String page(String source) {
        List<ResultsDb.Row> main = Suite.current(score.of(db.rows(suite, RunId.MAIN)), score.of(db.rows(suite, RunId.SWEEP)));
        if (main.isEmpty()) {
            throw new MooreException("report: suite '" + suite + "' has no finished main runs yet");
        }
        List<MethodRow> ranked = SuiteReport.ranked(main, r -> score.kept(db.predictions(r.id())));
        out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, "
                + "initial-scale=1\">\n<title>").append(esc(suite)).append(" — moore4j report</title>\n<style>").append(CSS).append("</style>\n</head>\n<body>\n");
        out.append("<header><h1>").append(esc(suite)).append("</h1><p class=\"sub\">moore4j report from ").append(esc(source)).append(", ")
                .append(ranked.size()).append(ranked.size() == 1 ? " method, " : " methods, ").append(main.size())
                .append(main.size() == 1 ? " run" : " runs").append(".</p>\n<nav>");
        sections.forEach(s -> out.append("<a href=\"#").append(s.id()).append("\">").append(s.heading()).append("</a> "));
        out.append("</nav></header>\n");
        sections.forEach(s -> s.write(ranked, main));
        out.append("</body>\n</html>\n");
        return out.toString();
    }

    /** The inverse of {@link #esc}. */
    static String unescape(String s) {
        return s.replace("&quot;", "\"").replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&");
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static final String CSS = """
            body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;color:#111;max-width:1200px;margin:0 auto;padding:0 16px 48px;line-height:1.45}
            h1{margin:24px 0 4px}h2{border-bottom:2px solid #ccc;padding-bottom:4px;margin-top:40px}h3{margin:24px 0 8px}
            .sub{color:#444;margin:0 0 8px}nav a{margin-right:12px;color:#0b5394}
            figure.chart{margin:12px 0 20px;break-inside:avoid}figure.chart svg{width:100%;height:auto;display:block}
            figcaption{font-size:14px;color:#333;margin-top:4px}.note{font-size:14px;color:#333}
            .grid{display:grid;grid-template-columns:1fr;gap:8px}
            .scroll{overflow-x:auto}table{border-collapse:collapse;font-size:12px;margin:8px 0}
            th,td{border:1px solid #ccc;padding:3px 5px;text-align:left;white-space:nowrap}th{white-space:normal;vertical-align:bottom}
            td.num{text-align:right}
            td.better{background:#e3f2e1}td.worse{background:#fbe3e1}table.kv td{white-space:normal}
            .swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border:1px solid #555}
            @media print{nav{display:none}body{max-width:none}section{break-before:auto}h2{break-after:avoid}}
            """;
}
