package dev.moore4j.report;

import dev.moore4j.eval.TaskPredictions;
import dev.moore4j.harness.OverallScore;
import dev.moore4j.harness.ResultsDb;
import dev.moore4j.harness.SuiteReport.MethodRow;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One section of the {@link HtmlReport} page: its anchor, its heading and what it draws from the suite's ranked
 * methods and main runs. Each section is its own class; the page lists them in order.
 */
abstract class PageSection {
    /** What every section of one page reads and writes: the database, the suite, its overall score and the page's text. */
    record Context(ResultsDb db, String suite, Set<String> routingOf, OverallScore score, StringBuilder out) {}

    protected final ResultsDb db;
    protected final String suite;
    /** The methods whose routing is drawn; null for every method that has an analysis. */
    protected final Set<String> routingOf;
    /** Which tasks the suite's overall averages, as its last run recorded. */
    protected final OverallScore score;
    protected final StringBuilder out;

    PageSection(Context c) {
        this.db = c.db();
        this.suite = c.suite();
        this.routingOf = c.routingOf();
        this.score = c.score();
        this.out = c.out();
    }

    /** The section's anchor in the page. */
    abstract String id();

    abstract String heading();

    /** Whether the page has this section (a section of runs the suite has not made leaves the page out). */
    boolean applies() {
        return true;
    }

    /** The section's content, between its heading and its end. */
    abstract void body(List<MethodRow> ranked, List<ResultsDb.Row> main);

    final void write(List<MethodRow> ranked, List<ResultsDb.Row> main) {
        out.append("<section id=\"").append(id()).append("\">\n<h2>").append(heading()).append("</h2>\n");
        body(ranked, main);
        out.append("</section>\n");
    }

    /** A run's predictions on the tasks its overall score averages. */
    protected Map<String, TaskPredictions> predictions(ResultsDb.Row r) {
        return score.kept(db.predictions(r.id()));
    }

    protected void figure(Charts.Chart c, String caption) {
        out.append("<figure class=\"chart\" data-chart=\"").append(esc(c.id())).append("\" data-series=\"").append(esc(String.join("|", c.series())))
                .append("\">\n").append(c.svg()).append("\n<figcaption>").append(caption).append("</figcaption>\n</figure>\n");
    }

    protected void note(String text) {
        out.append("<p class=\"note\">").append(text).append("</p>\n");
    }

    protected void kv(String k, String v) {
        out.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(v)).append("</td></tr>\n");
    }

    static String esc(String s) {
        return HtmlReport.esc(s);
    }
}
