package dev.moore4j.task;

import java.util.List;

/** GLUE TSV: split on tabs without quoting, the columns the task's {@link TaskSpec.Format.GlueTsv} names. */
final class GlueTsvParser implements FormatParser {
    private final TaskSpec.Format.GlueTsv g;

    GlueTsvParser(TaskSpec.Format.GlueTsv g) {
        this.g = g;
    }

    @Override
    public void parse(List<String> lines, Rows rows) {
        TaskSpec spec = rows.spec;
        int first = g.header() ? 1 : 0;
        for (int i = first; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty()) {
                continue;
            }
            int lineNo = i + 1;
            rows.add(lineNo, () -> {
                String[] cols = line.split("\t", -1);
                int need = Math.max(g.text(), Math.max(g.pair(), g.label())) + 1;
                if (cols.length < need) {
                    throw new Rows.BadRow("expected at least " + need + " tab-separated columns, found " + cols.length);
                }
                String text = cols[g.text()].strip().replace("\uFEFF", "");
                String pair = g.pair() >= 0 ? cols[g.pair()].strip() : null;
                String raw = cols[g.label() >= 0 ? g.label() : cols.length - 1].strip(); // -1: last column (MNLI gold_label)
                String where = rows.where(lineNo);
                if (spec.kind() == TaskKind.REGRESSION) {
                    return new Example(spec.name(), text, pair, List.of(), -1, Rows.parseFloat(raw), where);
                }
                return new Example(spec.name(), text, pair, List.of(), Rows.labelIndex(spec, raw), Float.NaN, where);
            });
        }
    }
}
