package dev.moore4j.report;

import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.Methods;

import java.awt.Color;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One colour per method in every chart of a report. The colour is a function of the method's name alone (not
 * of its position in a chart), so a method keeps its colour across charts that hold different subsets. Each
 * registered method declares its own ({@link Method.Named#colour}: Okabe–Ito and Tableau hues, readable in print and
 * by most colour-blind readers); any other name, such as a variant with bracketed settings, gets its base method's
 * hue, darkened, or a hue from its name's hash.
 */
public final class Palette {
    private Palette() {}

    private static final Map<String, Color> FIXED = Methods.all().stream()
            .collect(Collectors.toUnmodifiableMap(Method::name, m -> new Color(m.colour())));

    /** Colours for series that are not methods (tasks, routing labels), by position: Tableau's ten. */
    private static final Color[] CATEGORICAL = {new Color(0x4E, 0x79, 0xA7), new Color(0xF2, 0x8E, 0x2B), new Color(0x59, 0xA1, 0x4F),
            new Color(0xE1, 0x57, 0x59), new Color(0x76, 0xB7, 0xB2), new Color(0xED, 0xC9, 0x48), new Color(0xB0, 0x7A, 0xA1),
            new Color(0xFF, 0x9D, 0xA7), new Color(0x9C, 0x75, 0x5F), new Color(0x79, 0x70, 0x6E)};

    /** Whether the name is a method (or a variant of one) and so has a colour of its own. */
    public static boolean isMethod(String name) {
        int bracket = name.indexOf('[');
        return FIXED.containsKey(bracket > 0 ? name.substring(0, bracket) : name);
    }

    /** A method's colour; any other series (a task) gets the categorical colour of its position in its chart. */
    public static Color of(String name, int position) {
        return isMethod(name) ? of(name) : CATEGORICAL[Math.floorMod(position, CATEGORICAL.length)];
    }

    /** The colour of a method (or of any other series name, such as a task). */
    public static Color of(String name) {
        Color c = FIXED.get(name);
        if (c != null) {
            return c;
        }
        int bracket = name.indexOf('[');
        if (bracket > 0 && FIXED.containsKey(name.substring(0, bracket))) {
            // a variant (lora[r=132,…]) is its base method's hue, darker, and distinct per variant
            Color base = FIXED.get(name.substring(0, bracket));
            float[] hsb = Color.RGBtoHSB(base.getRed(), base.getGreen(), base.getBlue(), null);
            float shift = (Math.floorMod(name.hashCode(), 5) + 1) * 0.09f;
            return Color.getHSBColor(hsb[0], Math.min(1f, hsb[1] + 0.1f), Math.max(0.25f, hsb[2] - shift));
        }
        float hue = Math.floorMod(name.hashCode(), 360) / 360f;
        return Color.getHSBColor(hue, 0.65f, 0.75f);
    }

    /** {@code #rrggbb} for CSS. */
    public static String css(String name) {
        Color c = of(name);
        return String.format("#%02x%02x%02x", c.getRed(), c.getGreen(), c.getBlue());
    }
}
