package dev.moore4j.task;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/** User JSON Lines: the fields a task spec names for text, pair, label and choices. */
final class UserJsonlParser implements FormatParser {
    private final TaskSpec.Format.UserJsonl u;

    UserJsonlParser(TaskSpec.Format.UserJsonl u) {
        this.u = u;
    }

    @Override
    public void parse(List<String> lines, Rows rows) {
        rows.jsonLines(lines, (node, where) -> example(node, where, rows.spec));
    }

    private Example example(JsonNode node, String where, TaskSpec spec) {
        String text = Rows.text(node, u.textField());
        String pair = u.pairField() == null ? null : Rows.text(node, u.pairField());
        String raw = Rows.text(node, u.labelField());
        return switch (spec.kind()) {
            case REGRESSION -> new Example(spec.name(), text, pair, List.of(), -1, Rows.parseFloat(raw), where);
            case CLASSIFICATION -> new Example(spec.name(), text, pair, List.of(), Rows.labelIndex(spec, raw), Float.NaN, where);
            case MULTIPLE_CHOICE -> {
                JsonNode c = node.get(u.choicesField());
                if (c == null || !c.isArray() || c.size() < 2) {
                    throw new Rows.BadRow("field '" + u.choicesField() + "' must be an array of at least 2 choices");
                }
                List<String> choices = new ArrayList<>();
                c.forEach(x -> choices.add(x.asText()));
                int label = choices.indexOf(raw);
                if (label < 0 && raw.matches("\\d{1,9}") && Integer.parseInt(raw) < choices.size()) {
                    label = Integer.parseInt(raw);
                }
                if (label < 0) {
                    throw new Rows.BadRow("label '" + raw + "' is neither one of the choices nor a choice index");
                }
                yield new Example(spec.name(), text, pair, choices, label, Float.NaN, where);
            }
        };
    }
}
