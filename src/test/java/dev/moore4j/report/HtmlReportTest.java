package dev.moore4j.report;

import dev.moore4j.MooreException;
import dev.moore4j.TestSupport;
import dev.moore4j.adapter.Methods;
import dev.moore4j.harness.ResultsDb;
import dev.moore4j.harness.RunId;
import dev.moore4j.harness.SuiteReport;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.xml.parsers.DocumentBuilderFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The HTML report of a small fixture database, read back: sections, charts, their series, colours and self-containment. */
class HtmlReportTest {
    @TempDir
    static Path dir;
    static String html;

    /** One chart as the page holds it. */
    record Figure(String section, String id, List<String> series, String svg, List<String> texts) {}

    @BeforeAll
    static void build() throws Exception {
        ReportFixture.build(dir);
        Path out = dir.resolve("report.html");
        HtmlReport.write(dir, null, out);
        html = Files.readString(out);
    }

    static List<Figure> figures(String page) throws Exception {
        List<Figure> out = new ArrayList<>();
        Matcher sec = Pattern.compile("<section id=\"([^\"]+)\">(.*?)</section>", Pattern.DOTALL).matcher(page);
        while (sec.find()) {
            Matcher fig = Pattern.compile("<figure class=\"chart\" data-chart=\"([^\"]+)\" data-series=\"([^\"]*)\">\\s*(<svg.*?</svg>)",
                    Pattern.DOTALL).matcher(sec.group(2));
            while (fig.find()) {
                String svg = fig.group(3);
                DocumentBuilderFactory f = DocumentBuilderFactory.newInstance(); // not namespace-aware: HTML's inline SVG has no xmlns
                Document d = f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
                NodeList ts = d.getElementsByTagName("text");
                List<String> texts = new ArrayList<>();
                for (int i = 0; i < ts.getLength(); i++) {
                    texts.add(ts.item(i).getTextContent());
                }
                List<String> series = fig.group(2).isEmpty() ? List.of() : Arrays.asList(HtmlReport.unescape(fig.group(2)).split("\\|"));
                out.add(new Figure(sec.group(1), fig.group(1), series, svg, texts));
            }
        }
        return out;
    }

    @Test
    void everySectionHasItsChartsWithTheExpectedSeries() throws Exception {
        List<Figure> figs = figures(html);
        Map<String, Integer> perSection = new LinkedHashMap<>();
        figs.forEach(f -> perSection.merge(f.section(), 1, Integer::sum));
        // routing: per method (MoORE, MixLoRA) one heat map per task and task-free, the similarity, the per-layer chart
        assertThat(perSection).containsExactly(Map.entry("ranking", 1), Map.entry("tasks", 1), Map.entry("cost", 4), Map.entry("oblivion", 1),
                Map.entry("sensitivity", 1), Map.entry("curves", 1), Map.entry("routing", 10));
        assertThat(html).contains("<section id=\"provenance\">").contains("Test CPU, 2 cores, 2 compute threads").contains("150 GFLOP/s");
        for (Figure f : figs) {
            int expected = switch (f.section()) {
                case "sensitivity" -> 2; // the sweep covered LoRA and MoORE
                case "routing" -> f.id().startsWith("similarity") ? 2 : 3; // tasks, or layers / tasks and task-free
                default -> ReportFixture.METHODS.size();
            };
            assertThat(f.series()).as(f.id()).hasSize(expected);
            for (String s : f.series()) {
                assertThat(f.texts()).as("%s draws the label of series %s", f.id(), s).contains(s);
            }
        }
        assertThat(figs.stream().filter(f -> f.id().equals("ranking")).findFirst().orElseThrow().series())
                .containsExactlyInAnyOrderElementsOf(ReportFixture.METHODS);
    }

    @Test
    void aMethodHasOneColourInEveryChart() throws Exception {
        for (String method : List.of("moore", "lora")) {
            java.awt.Color c = Palette.of(method);
            String rgb = "rgb(" + c.getRed() + "," + c.getGreen() + "," + c.getBlue() + ")";
            for (Figure f : figures(html)) {
                if (List.of("ranking", "cost", "oblivion", "curves").contains(f.section())) {
                    assertThat(f.svg()).as("%s draws %s in %s", f.id(), method, rgb).contains(rgb);
                }
            }
            assertThat(html).contains("background:" + Palette.css(method));
        }
        assertThat(Palette.of("lora[r=132,alpha=264]")).isNotEqualTo(Palette.of("lora"));
        assertThat(Palette.of("sst2", 0)).isNotEqualTo(Palette.of("rte", 1));
    }

    /** Every registered method, in a report that holds them all: its own colour, in every chart that draws methods. */
    @Test
    void everyRegisteredMethodHasItsOwnColourInEveryChart(@TempDir Path all) throws Exception {
        ReportFixture.build(all, Methods.names(), "accuracy");
        Path out = all.resolve("report.html");
        HtmlReport.write(all, null, out);
        String page = Files.readString(out);
        List<Figure> figs = figures(page).stream().filter(f -> List.of("ranking", "cost", "oblivion", "curves").contains(f.section())).toList();
        assertThat(figs).isNotEmpty();
        Map<java.awt.Color, String> seen = new LinkedHashMap<>();
        for (String method : Methods.names()) {
            java.awt.Color c = Palette.of(method);
            assertThat(Palette.isMethod(method)).as(method).isTrue();
            assertThat(seen.put(c, method)).as("%s has a colour of its own", method).isNull();
            assertThat(Palette.of(method, 0)).as("%s's colour does not depend on its position", method).isEqualTo(Palette.of(method, 7));
            String rgb = "rgb(" + c.getRed() + "," + c.getGreen() + "," + c.getBlue() + ")";
            for (Figure f : figs) {
                if (f.series().contains(method)) {
                    assertThat(f.svg()).as("%s draws %s in %s", f.id(), method, rgb).contains(rgb);
                }
            }
            assertThat(figs.stream().filter(f -> f.id().equals("ranking")).findFirst().orElseThrow().series()).contains(method);
        }
    }

    /** A task whose spec names MCC: the suite's tables and the page read MCC for it, not accuracy. */
    @Test
    void aTaskWhoseSpecNamesMccIsTabulatedByMcc(@TempDir Path mcc) throws Exception {
        ReportFixture.build(mcc, ReportFixture.METHODS, "mcc");
        Path out = mcc.resolve("report.html");
        HtmlReport.write(mcc, null, out);
        String page = Files.readString(out);
        try (ResultsDb db = ResultsDb.open(mcc.resolve("results.sqlite"))) {
            List<ResultsDb.Row> rows = db.rows(ReportFixture.SUITE, RunId.MAIN);
            for (SuiteReport.MethodRow m : SuiteReport.ranked(rows, r -> db.predictions(r.id()))) {
                StringBuilder cells = new StringBuilder();
                ReportFixture.TASKS.forEach(t -> cells.append("<td class=\"num\">").append(m.tasks().get(t).pct()).append("</td>"));
                assertThat(page).as("the page's row of %s", m.method()).contains(cells);
                for (String t : ReportFixture.TASKS) {
                    double mean = m.runs().stream().mapToDouble(r -> r.eval().path("tasks").path(t).path("mcc").asDouble()).average().orElseThrow();
                    double acc = m.runs().stream().mapToDouble(r -> r.eval().path("tasks").path(t).path("accuracy").asDouble()).average().orElseThrow();
                    assertThat(m.tasks().get(t).mean()).as("%s on %s", m.method(), t).isCloseTo(mean, within(1e-12)).isNotCloseTo(acc, within(1e-3));
                }
            }
        }
    }

    @Test
    void thePageIsSelfContained() {
        assertThat(html).startsWith("<!DOCTYPE html>").doesNotContainPattern("(?i)https?:|ftp:|file:|<script|<link|<iframe|<img|@import|src=")
                .doesNotContainPattern("url\\((?!#)");
    }

    @Test
    void oneRunIsReportedLikeASuite() throws Exception {
        Path out = dir.resolve("one.html");
        HtmlReport.write(dir.resolve("runs").resolve("main-moore-s1"), null, out);
        String one = Files.readString(out);
        List<Figure> figs = figures(one);
        assertThat(figs.stream().filter(f -> f.id().equals("ranking")).findFirst().orElseThrow().series()).containsExactly("moore");
        assertThat(figs.stream().filter(f -> f.section().equals("routing"))).hasSize(5);
        assertThat(one).contains("did not sweep");
    }

    @Test
    void badInputNamesWhatIsWrong() {
        Path missing = dir.resolve("nowhere");
        assertThatThrownBy(() -> HtmlReport.write(missing, null, dir.resolve("x.html"))).isInstanceOf(MooreException.class)
                .hasMessageContaining(missing.toString());
        assertThatThrownBy(() -> HtmlReport.write(dir, "other", dir.resolve("x.html"))).isInstanceOf(MooreException.class)
                .hasMessageContaining("no suite 'other'").hasMessageContaining(ReportFixture.SUITE);
        assertThat(dir.resolve("x.html")).doesNotExist();
    }

    @Test
    void theParetoFrontKeepsOnlyUndominatedPoints() {
        List<double[]> pts = List.of(new double[] {1, 50}, new double[] {2, 49}, new double[] {3, 55}, new double[] {4, 54});
        // cost lower is better: (1,50) and (3,55) are undominated; (2,49) loses to (1,50), (4,54) to (3,55)
        assertThat(Charts.front(pts, false)).extracting(p -> p[0]).containsExactly(1.0, 3.0);
        // speed higher is better: (4,54) and (3,55)
        assertThat(Charts.front(pts, true)).extracting(p -> p[0]).containsExactly(3.0, 4.0);
    }

    @Test
    void logAxisLabelsAreShort() {
        assertThat(Charts.shortNumber(3.1622776e-5)).isEqualTo("3e-5");
        assertThat(Charts.shortNumber(1e-3)).isEqualTo("1e-3");
        assertThat(Charts.shortNumber(0.3)).isEqualTo("0.3");
        assertThat(Charts.shortNumber(316.2)).isEqualTo("300");
        assertThat(Charts.shortNumber(3.1622776e6)).isEqualTo("3M");
        assertThat(Charts.shortNumber(1e4)).isEqualTo("10k");
    }

    @Test
    void theCliWritesThePage() throws Exception {
        Path out = dir.resolve("cli.html");
        TestSupport.CliRun r = TestSupport.cli("report", dir.toString(), "--html", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(figures(Files.readString(out))).hasSize(19);
    }

    @Test
    void everyChartDefinesTheClassesAndClipsItUses() throws Exception {
        for (Figure f : figures(html)) {
            java.util.Set<String> defined = new java.util.HashSet<>();
            Matcher d = Pattern.compile("\\.(c-[^{]+)\\{").matcher(f.svg());
            while (d.find()) {
                defined.add(d.group(1));
            }
            Matcher u = Pattern.compile(" class='([^']+)'").matcher(f.svg());
            while (u.find()) {
                assertThat(defined).as(f.id()).contains(u.group(1));
            }
            Matcher c = Pattern.compile("clip-path='url\\(#([^)]+)\\)'").matcher(f.svg());
            while (c.find()) {
                assertThat(f.svg()).as(f.id()).contains("<clipPath id='" + c.group(1) + "'>");
            }
            assertThat(f.svg()).as(f.id()).doesNotContainPattern(" (x|y|x1|y1|x2|y2|width|height)='-?\\d+\\.0'"); // coordinates drop a trailing .0
        }
    }

    @Test
    void routingCanBeLimitedToSomeMethodsAndThePageSaysWhichWereLeftOut() throws Exception {
        Path out = dir.resolve("moore-only.html");
        HtmlReport.write(dir, null, out, java.util.Set.of("moore"));
        String page = Files.readString(out);
        List<Figure> routing = figures(page).stream().filter(f -> f.section().equals("routing")).toList();
        assertThat(routing).isNotEmpty().allMatch(f -> f.id().contains("moore")).noneMatch(f -> f.id().contains("mixlora"));
        assertThat(routing).hasSize((int) figures(html).stream().filter(f -> f.section().equals("routing") && f.id().contains("moore")).count());
        assertThat(page).contains("Not drawn on this page: the routing of mixlora");
        assertThat(page.length()).isLessThan(html.length());
    }
}
