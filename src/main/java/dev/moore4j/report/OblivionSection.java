package dev.moore4j.report;

import dev.moore4j.harness.ResultsDb;
import dev.moore4j.harness.SuiteReport.MethodRow;
import dev.moore4j.harness.SuiteReport.Stat;

import java.util.ArrayList;
import java.util.List;

/** What the model still knows after training (zero-shot STS-B, or held-out perplexity for a decoder), against the base model. */
final class OblivionSection extends PageSection {
    OblivionSection(Context c) {
        super(c);
    }

    @Override
    String id() {
        return "oblivion";
    }

    @Override
    String heading() {
        return "Oblivion";
    }

    @Override
    void body(List<MethodRow> ranked, List<ResultsDb.Row> main) {
        List<Charts.Interval> items = new ArrayList<>();
        List<Double> before = new ArrayList<>();
        String name = null;
        for (MethodRow m : ranked) {
            Stat a = m.oblivionAfter();
            if (a.n() > 0) {
                items.add(new Charts.Interval(m.method(), 100 * a.mean(), 100 * (a.mean() - a.std()), 100 * (a.mean() + a.std())));
                before.add(m.oblivionBefore().mean());
                name = m.runs().get(0).oblivionName();
            }
        }
        if (items.isEmpty()) {
            note("No oblivion figure was recorded (runs trained with --no-oblivion, or a decoder without held-out text).");
        } else {
            double base = 100 * Stat.of(before).mean();
            boolean perplexity = "perplexity".equals(name);
            figure(Charts.intervals("oblivion", "What the model still knows after training", perplexity ? "held-out perplexity (lower is better)"
                            : "zero-shot STS-B Spearman (×100)", items, perplexity ? base / 100 : base, "base model"),
                    perplexity ? "Held-out perplexity after training, mean ± std over seeds; dashed: the base model before training."
                            : "Zero-shot STS-B Spearman of the mean-pooled embeddings under task-free routing after training, mean ± std over "
                            + "seeds; dashed: the base model before training. A method that forgets nothing sits on the line.");
        }
    }

}
