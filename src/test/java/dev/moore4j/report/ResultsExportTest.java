package dev.moore4j.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.MooreException;
import dev.moore4j.eval.TaskPredictions;
import dev.moore4j.harness.ResultsDb;
import dev.moore4j.harness.RunId;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compact predictions form and {@code moore suite --export}: lossless where tables read, smaller, and the same report. */
class ResultsExportTest {
    @TempDir
    Path dir;

    @Test
    void exportKeepsEveryRowAndPredictionDropsOnlyWhatNoTableReadsAndGivesTheSameReport() throws Exception {
        Path db = ReportFixture.build(dir.resolve("full"));
        Path copy = dir.resolve("copy").resolve("results.sqlite");
        try (ResultsDb a = ResultsDb.open(db)) {
            a.export(copy);
        }
        assertThat(copy).exists();
        assertThat(copy.resolveSibling("results.sqlite.tmp")).doesNotExist();
        try (ResultsDb a = ResultsDb.open(db); ResultsDb b = ResultsDb.open(copy)) {
            for (RunId.Kind kind : List.of(RunId.MAIN, RunId.SWEEP)) {
                assertThat(b.rows(ReportFixture.SUITE, kind)).isEqualTo(a.rows(ReportFixture.SUITE, kind));
            }
            for (ResultsDb.Row r : a.rows(ReportFixture.SUITE, RunId.MAIN)) {
                Map<String, TaskPredictions> pa = a.predictions(r.id());
                Map<String, TaskPredictions> pb = b.predictions(r.id());
                assertThat(pa).isNotEmpty();
                assertThat(pb.keySet()).isEqualTo(pa.keySet());
                pa.forEach((t, p) -> {
                    assertThat(pb.get(t).gold()).containsExactly(p.gold());
                    assertThat(pb.get(t).pred()).containsExactly(p.pred());
                    assertThat(pb.get(t).metric()).isEqualTo(p.metric());
                });
                JsonNode ca = a.curves(r.id()).get("loss");
                JsonNode cb = b.curves(r.id()).get("loss");
                assertThat(cb.size()).isEqualTo(ca.size());
                assertThat(b.curves(r.id()).has("step")).as("steps 1..n left out").isFalse();
                for (int i = 0; i < ca.size(); i++) {
                    assertThat(cb.get(i).asDouble()).isCloseTo(ca.get(i).asDouble(), org.assertj.core.data.Percentage.withPercentage(0.05));
                }
                JsonNode ra = a.routing(r.id());
                JsonNode rb = b.routing(r.id());
                if (r.seed() > 1 || ra.isMissingNode()) {
                    assertThat(rb.isMissingNode()).as("routing of %s seed %d", r.method(), r.seed()).isTrue(); // the report draws the first seed's
                } else {
                    double x = ra.get("layers").get(1).get("tasks").get("rte").get(r.method().equals("moore") ? "w_over_s_mean" : "entropy").asDouble();
                    double y = rb.get("layers").get(1).get("tasks").get("rte").get(r.method().equals("moore") ? "w_over_s_mean" : "entropy").asDouble();
                    assertThat(y).isCloseTo(x, org.assertj.core.data.Percentage.withPercentage(0.05));
                    assertThat(rb.get("layers").size()).isEqualTo(ra.get("layers").size());
                }
                assertThat(b.machine(r.id())).isEqualTo(a.machine(r.id()));
            }
            for (ResultsDb.Row r : a.rows(ReportFixture.SUITE, RunId.SWEEP)) {
                assertThat(a.predictions(r.id())).isNotEmpty();
                assertThat(b.predictions(r.id())).isEmpty();
                assertThat(b.curves(r.id()).isMissingNode()).isTrue();
            }
        }
        assertThat(Files.size(copy)).isLessThan(Files.size(db));
        // the same page but for the coordinates of the curves and the routing charts, drawn from rounded numbers
        HtmlReport.write(db.getParent(), null, dir.resolve("a.html"));
        HtmlReport.write(copy.getParent(), null, dir.resolve("b.html"));
        String ha = withoutCurves(Files.readString(dir.resolve("a.html")));
        String hb = withoutCurves(Files.readString(dir.resolve("b.html")));
        assertThat(hb).isEqualTo(ha);
        var fa = HtmlReportTest.figures(Files.readString(dir.resolve("a.html")));
        var fb = HtmlReportTest.figures(Files.readString(dir.resolve("b.html")));
        assertThat(fb).extracting(HtmlReportTest.Figure::id).containsExactlyElementsOf(fa.stream().map(HtmlReportTest.Figure::id).toList());
        assertThat(fb).anyMatch(f -> f.section().equals("curves")).anyMatch(f -> f.section().equals("routing"));
    }

    @Test
    void exportDropsTheSideDataOfSupersededRunsAndKeepsTheirRows() throws Exception {
        Path db = ReportFixture.build(dir.resolve("full"));
        Path copy = dir.resolve("copy.sqlite");
        try (ResultsDb a = ResultsDb.open(db)) {
            ResultsDb.Row old = a.rows(ReportFixture.SUITE, RunId.MAIN).stream().filter(r -> r.method().equals("moore") && r.seed() == 1).findFirst().orElseThrow();
            ResultsDb.Row kept = a.rows(ReportFixture.SUITE, RunId.MAIN).stream().filter(r -> r.method().equals("lora") && r.seed() == 1).findFirst().orElseThrow();
            assertThat(a.routing(old.id()).isMissingNode()).isFalse();
            a.export(copy, java.util.List.of(old));
            try (ResultsDb b = ResultsDb.open(copy)) {
                assertThat(b.rows(ReportFixture.SUITE, RunId.MAIN)).isEqualTo(a.rows(ReportFixture.SUITE, RunId.MAIN));
                assertThat(b.predictions(old.id())).isEmpty();
                assertThat(b.curves(old.id()).isMissingNode()).isTrue();
                assertThat(b.routing(old.id()).isMissingNode()).isTrue();
                assertThat(b.machine(old.id())).isNotNull();
                assertThat(b.predictions(kept.id())).isNotEmpty();
            }
        }
    }

    @Test
    void exportKeepsTheRoutingOfTheNamedMethodsOnly() throws Exception {
        Path db = ReportFixture.build(dir.resolve("full"));
        Path copy = dir.resolve("copy").resolve("results.sqlite");
        try (ResultsDb a = ResultsDb.open(db)) {
            a.export(copy, java.util.List.of(), java.util.Set.of("moore"));
            try (ResultsDb b = ResultsDb.open(copy)) {
                assertThat(b.rows(ReportFixture.SUITE, RunId.MAIN)).isEqualTo(a.rows(ReportFixture.SUITE, RunId.MAIN));
                assertThat(a.routing(main("mixlora", 1, 1e-4)).isMissingNode()).isFalse();
                assertThat(b.routing(main("mixlora", 1, 1e-4)).isMissingNode()).isTrue();
                assertThat(b.routing(main("moore", 1, 1e-4)).get("layers").size())
                        .isEqualTo(a.routing(main("moore", 1, 1e-4)).get("layers").size());
                assertThat(b.predictions(main("mixlora", 1, 1e-4))).isNotEmpty();
            }
        }
        HtmlReport.write(copy.getParent(), null, dir.resolve("b.html"));
        assertThat(HtmlReportTest.figures(Files.readString(dir.resolve("b.html")))).filteredOn(f -> f.section().equals("routing"))
                .isNotEmpty().allMatch(f -> !f.id().contains("mixlora"));
    }

    private static String withoutCurves(String html) {
        return html.replaceAll("(?s)<section id=\"(curves|routing)\">.*?</section>", "").replaceAll("(?s)<p class=\"sub\">.*?</p>", "")
                .replaceAll("generated [0-9T:Z-]+", "generated"); // the time stamp
    }

    @Test
    void predictionsAreStoredAsDigitStringsAndOldArraysStillRead() throws Exception {
        Path db = ReportFixture.build(dir);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             ResultSet rs = c.createStatement().executeQuery("SELECT tasks FROM predictions WHERE method = 'lora' AND seed = 1 AND kind = 'main'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).contains("\"gold\":\"0101010101").doesNotContain("[");
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            // a database written before the compact form: arrays of doubles
            c.createStatement().execute("UPDATE predictions SET tasks = '{\"sst2\":{\"metric\":\"accuracy\",\"gold\":[0.0,1.0,1.0],\"pred\":[0.0,0.0,1.0]}}' "
                    + "WHERE method = 'heads' AND seed = 1 AND kind = 'main'");
            c.createStatement().execute("UPDATE predictions SET tasks = '{\"rte\":{\"metric\":\"accuracy\",\"gold\":\"01x\",\"pred\":\"011\"}}' "
                    + "WHERE method = 'heads' AND seed = 2 AND kind = 'main'");
        }
        try (ResultsDb r = ResultsDb.open(db)) {
            TaskPredictions p = r.predictions(main("heads", 1, 1e-4)).get("sst2");
            assertThat(p.gold()).containsExactly(0, 1, 1);
            assertThat(p.pred()).containsExactly(0, 0, 1);
            assertThatThrownBy(() -> r.predictions(main("heads", 2, 1e-4))).isInstanceOf(MooreException.class)
                    .hasMessageContaining("task 'rte'").hasMessageContaining("'x' at position 2");
        }
    }

    private static RunId main(String method, long seed, double lr) {
        return new RunId(ReportFixture.SUITE, RunId.MAIN, method, seed, lr);
    }
}
