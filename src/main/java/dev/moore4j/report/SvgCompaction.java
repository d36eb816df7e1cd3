package dev.moore4j.report;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What JFreeSVG writes, made fit for a page: the same drawing in fewer bytes and as an HTML fragment. Text in, text
 * out; {@link Charts} draws, this only rewrites.
 */
final class SvgCompaction {
    private SvgCompaction() {}

    /** A coordinate to a tenth, without a trailing ".0": a layer × expert map has thousands of them. */
    static String tenths(double v) {
        String t = String.format(Locale.ROOT, "%.1f", v);
        t = t.endsWith(".0") ? t.substring(0, t.length() - 2) : t;
        return t.equals("-0") ? "0" : t;
    }

    /**
     * The same drawing in about two thirds of the bytes (a suite's page stays small enough to commit and to open fast):
     * <ul>
     *   <li>the clip to the whole canvas, which JFreeChart puts on every element, clips nothing inside the view box, so
     *       its references go;</li>
     *   <li>a style that is only a fill colour becomes the {@code fill} attribute;</li>
     *   <li>adjacent shapes with the same clip share one group that carries it;</li>
     *   <li>a style repeated on many elements (axis lines, tick labels, grid lines) becomes one class of a {@code <style>}
     *       inside the SVG, named after the chart so that classes of different charts on one page never meet.</li>
     * </ul>
     */
    static String compact(String svg, String id, double width, double height) {
        String canvas = Pattern.quote("<path d='M0,0L" + tenths(width) + ",0L" + tenths(width) + "," + tenths(height) + "L0,"
                + tenths(height) + "L0,0Z'/>");
        var clip = Pattern.compile("<clipPath id='([^']+)'>" + canvas + "</clipPath>").matcher(svg);
        String out = svg;
        if (clip.find()) {
            out = out.replace(" clip-path='url(#" + clip.group(1) + ")'", "");
        }
        // a lone fill (every heat-map cell) as the equivalent presentation attribute: fill='#4982bb', half the bytes
        var fill = Pattern.compile(" style='fill:rgb\\((\\d+),(\\d+),(\\d+)\\)'").matcher(out);
        StringBuilder fills = new StringBuilder(out.length());
        while (fill.find()) {
            fill.appendReplacement(fills, String.format(Locale.ROOT, " fill='#%02x%02x%02x'", Integer.parseInt(fill.group(1)),
                    Integer.parseInt(fill.group(2)), Integer.parseInt(fill.group(3))));
        }
        out = fill.appendTail(fills).toString();
        Map<String, Integer> uses = new HashMap<>();
        var st = Pattern.compile(" style='([^']*)'").matcher(out);
        while (st.find()) {
            uses.merge(st.group(1), 1, Integer::sum);
        }
        Map<String, String> classes = new LinkedHashMap<>();
        // a CSS identifier: chart ids carry method names such as goat[scale=paper]; the hash keeps two sanitised ids apart
        String prefix = "c-" + id.replaceAll("[^A-Za-z0-9_-]", "_") + "-" + Integer.toHexString(id.hashCode());
        uses.entrySet().stream().filter(e -> e.getValue() >= 3 && e.getKey().length() >= 20)
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> classes.put(e.getKey(), prefix + "-s" + classes.size()));
        out = groupClips(out);
        if (classes.isEmpty() || out.contains(" class='")) {
            return out;
        }
        StringBuilder sb = new StringBuilder(out.length());
        st = Pattern.compile(" style='([^']*)'").matcher(out);
        while (st.find()) {
            String c = classes.get(st.group(1));
            st.appendReplacement(sb, Matcher.quoteReplacement(c == null ? st.group() : " class='" + c + "'"));
        }
        st.appendTail(sb);
        StringBuilder css = new StringBuilder("<style>");
        classes.forEach((style, c) -> css.append('.').append(c).append('{').append(style).append('}'));
        css.append("</style>");
        int open = sb.indexOf(">", sb.indexOf("<svg")) + 1;
        return sb.insert(open, css).toString();
    }

    /**
     * The SVG as a fragment of an HTML page: the namespace declarations HTML does not need are dropped (so the page
     * holds no URL at all), and the fixed size gives way to the view box so the chart scales with the page.
     */
    static String inline(String svg) {
        return svg.replaceFirst(" xmlns='http://www.w3.org/2000/svg'", "")
                .replaceFirst(" xmlns:xlink='http://www.w3.org/1999/xlink'", "")
                .replaceFirst(" xmlns:jfreesvg='http://www.jfree.org/jfreesvg/svg'", "");
    }

    /**
     * Runs of two or more adjacent shapes clipped to the same region (a heat map's cells, a plot's grid lines) become one
     * group that carries the clip once.
     */
    static String groupClips(String svg) {
        var m = Pattern.compile("<(rect|line|path)\\b([^>]*?) clip-path='url\\(#([^)]+)\\)'/>").matcher(svg);
        StringBuilder out = new StringBuilder(svg.length());
        int copied = 0;
        int runStart = -1;
        int runEnd = -1;
        String runClip = null;
        List<String> run = new ArrayList<>();
        while (true) {
            boolean found = m.find();
            if (runClip != null && (!found || m.start() != runEnd || !m.group(3).equals(runClip))) {
                out.append(svg, copied, runStart);
                if (run.size() > 1) {
                    out.append("<g clip-path='url(#").append(runClip).append(")'>");
                    run.forEach(out::append);
                    out.append("</g>");
                } else {
                    out.append(svg, runStart, runEnd);
                }
                copied = runEnd;
                runClip = null;
                run.clear();
            }
            if (!found) {
                break;
            }
            if (runClip == null) {
                runStart = m.start();
                runClip = m.group(3);
            }
            run.add("<" + m.group(1) + m.group(2) + "/>");
            runEnd = m.end();
        }
        out.append(svg, copied, svg.length());
        return out.toString();
    }
}
