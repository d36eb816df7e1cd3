package dev.moore4j.adapter;

import dev.moore4j.MooreException;
import dev.moore4j.model.FfnSlot;
import dev.moore4j.model.LinearSlot;
import dev.moore4j.model.TransformerModel;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Chooses target modules by name. A pattern matches a slot whose name equals it or ends with
 * {@code "." + pattern} (so {@code query}, {@code self_attn.q_proj} or {@code intermediate.dense} work);
 * {@code re:REGEX} matches the full name by regular expression; {@code all-linear} matches every slot;
 * {@code ffn} the projections of the feed-forward blocks and {@code attn} all the others (the same in
 * every model family). A pattern that matches nothing is an error, never silently ignored.
 */
public final class TargetMatcher {
    public static final String ALL_LINEAR = "all-linear";
    public static final String FFN = "ffn";
    public static final String ATTN = "attn";

    private TargetMatcher() {}

    public static List<LinearSlot> select(TransformerModel model, List<String> patterns) {
        Set<String> ffn = new HashSet<>();
        for (FfnSlot f : model.ffnSlots()) {
            f.projections().forEach(p -> ffn.add(p.name()));
        }
        return select(model.linearSlots(), ffn, patterns);
    }

    public static List<LinearSlot> select(List<LinearSlot> slots, Set<String> ffnNames, List<String> patterns) {
        if (patterns == null || patterns.isEmpty()) {
            patterns = List.of(ALL_LINEAR);
        }
        Set<LinearSlot> chosen = new LinkedHashSet<>();
        for (String p : patterns) {
            List<LinearSlot> hits = new ArrayList<>();
            for (LinearSlot s : slots) {
                boolean hit = switch (p) {
                    case FFN -> ffnNames.contains(s.name());
                    case ATTN -> !ffnNames.contains(s.name());
                    default -> matches(s.name(), p);
                };
                if (hit) {
                    hits.add(s);
                }
            }
            if (hits.isEmpty()) {
                List<String> examples = slots.stream().limit(7).map(LinearSlot::name).toList();
                throw new MooreException("target pattern '" + p + "' matches no linear layer (layers look like " + String.join(", ", examples) + ", …)");
            }
            chosen.addAll(hits);
        }
        return slots.stream().filter(chosen::contains).toList();
    }

    static boolean matches(String name, String pattern) {
        if (pattern.equals(ALL_LINEAR)) {
            return true;
        }
        if (pattern.startsWith("re:")) {
            return Pattern.compile(pattern.substring(3)).matcher(name).matches();
        }
        return name.equals(pattern) || name.endsWith("." + pattern);
    }
}
