package dev.moore4j.report;

import dev.moore4j.eval.TaskPredictions;
import dev.moore4j.harness.PairedBootstrap;
import dev.moore4j.harness.ResultsDb;
import dev.moore4j.harness.RunId;
import dev.moore4j.harness.SuiteReport;
import dev.moore4j.harness.SuiteReport.MethodRow;
import dev.moore4j.harness.SuiteReport.Stat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The ranked table: each method's overall with its interval, per-task cells, paired comparisons, speed and memory. */
final class RankingSection extends PageSection {
    RankingSection(Context c) {
        super(c);
    }

    @Override
    String id() {
        return "ranking";
    }

    @Override
    String heading() {
        return "Ranking";
    }

    @Override
    void body(List<MethodRow> ranked, List<ResultsDb.Row> main) {
        intervals(ranked, main);
        List<String> tasks = SuiteReport.tasks(main);
        table(ranked, tasks);
        note("Cells: mean ± sample standard deviation over seeds, ×100 (CoLA: MCC; STS-B: Spearman; others: accuracy). \"vs M\": this "
                + "method's overall minus M's with a 95 % paired-bootstrap interval (same seeds and evaluation examples); better / worse when "
                + "the interval excludes 0, ≈ when it does not. Speed and memory: median over seeds.");
        if (!score.allTasks()) {
            note(esc(score.note(tasks)));
        }
        Set<String> warnings = SuiteReport.warnings(main);
        if (!warnings.isEmpty()) {
            out.append("<p><b>Warnings</b></p><ul>");
            warnings.forEach(w -> out.append("<li>").append(esc(w)).append("</li>"));
            out.append("</ul>\n");
        }
    }

    /** The overall score of each method with its interval: paired bootstrap where predictions are stored, else ± std over seeds. */
    private void intervals(List<MethodRow> ranked, List<ResultsDb.Row> main) {
        List<Charts.Interval> items = new ArrayList<>();
        boolean allBootstrapped = true;
        List<String> without = new ArrayList<>();
        for (MethodRow m : ranked) {
            List<Map<String, TaskPredictions>> preds = new ArrayList<>();
            for (ResultsDb.Row r : m.runs()) {
                Map<String, TaskPredictions> p = predictions(r);
                if (!p.isEmpty()) {
                    preds.add(p);
                }
            }
            if (preds.size() == m.seeds()) {
                PairedBootstrap.Comparison c = PairedBootstrap.interval(preds, PairedBootstrap.RESAMPLES, 1);
                items.add(new Charts.Interval(m.method(), 100 * m.overall().mean(), 100 * c.low(), 100 * c.high()));
            } else {
                allBootstrapped = false;
                Stat s = m.overall();
                if (s.n() < 2) {
                    without.add(m.method());
                }
                items.add(new Charts.Interval(m.method(), 100 * s.mean(), 100 * (s.mean() - s.std()), 100 * (s.mean() + s.std())));
            }
        }
        String of = score.allTasks() ? "task metrics" : String.join(", ", SuiteReport.tasks(main).stream().filter(t -> !score.excluded().contains(t)).toList());
        figure(Charts.intervals("ranking", "Overall score by method", "overall score (mean of " + of + ", ×100)", items, null, null),
                allBootstrapped ? "Mean over seeds; bars: 95 % interval from a bootstrap over seeds and evaluation examples (" + PairedBootstrap.RESAMPLES
                        + " replicates)." : "Mean over seeds; bars: 95 % bootstrap interval over seeds and evaluation examples where the runs' "
                        + "predictions are stored, else ± one standard deviation over seeds" + (without.isEmpty() ? "." : "; no interval for "
                        + esc(String.join(", ", without)) + " (one seed, no stored predictions)."));
    }

    /** The ranked table: per-task cells, overall, the paired comparisons with the references, oblivion, speed and memory. */
    private void table(List<MethodRow> ranked, List<String> tasks) {
        List<String> refs = SuiteReport.references(ranked);
        out.append("<div class=\"scroll\"><table>\n<thead><tr><th>rank</th><th>method</th><th>lr</th><th>seeds</th><th>trainable</th>");
        tasks.forEach(t -> out.append("<th>").append(esc(t)).append("</th>"));
        out.append("<th>overall</th>");
        refs.forEach(r -> out.append("<th>vs ").append(esc(r)).append("</th>"));
        out.append("<th>oblivion after (before)</th><th>train ex/s</th><th>infer ms/ex</th><th>peak MB</th></tr></thead>\n<tbody>\n");
        int rank = 1;
        for (MethodRow m : ranked) {
            out.append("<tr><td>").append(rank++).append("</td><td><span class=\"swatch\" style=\"background:").append(Palette.css(m.method()))
                    .append("\"></span>").append(esc(m.method())).append("</td><td>").append(RunId.rate(m.lr())).append("</td><td>").append(m.seeds())
                    .append("</td><td class=\"num\">").append(String.format(Locale.ROOT, "%,d", m.trainable())).append("</td>");
            m.tasks().values().forEach(s -> out.append("<td class=\"num\">").append(s.pct()).append("</td>"));
            out.append("<td class=\"num\"><b>").append(m.overall().pct()).append("</b></td>");
            for (String ref : refs) {
                PairedBootstrap.Comparison c = m.versus().get(ref);
                String cls = c == null ? "" : switch (c.verdict()) {
                    case BETTER -> " better";
                    case WORSE -> " worse";
                    case INDISTINGUISHABLE -> "";
                };
                // the difference over its interval, so that a wide table still fits the page
                String v = ref.equals(m.method()) ? "—" : esc(SuiteReport.versus(c)).replaceFirst(" \\[", "<br>[");
                out.append("<td class=\"num").append(cls).append("\">").append(v).append("</td>");
            }
            out.append("<td class=\"num\">").append(m.oblivionAfter().pct()).append(m.oblivionBefore().n() > 0 ? "<br>(" + m.oblivionBefore().pct() + ")" : "")
                    .append(String.format(Locale.ROOT, "</td><td class=\"num\">%.1f</td><td class=\"num\">%.2f</td><td class=\"num\">%.0f</td></tr>%n",
                            m.examplesPerSecond(), m.inferenceMsPerExample(), m.peakRssMb()));
        }
        out.append("</tbody></table></div>\n");
    }

}
