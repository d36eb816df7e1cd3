package dev.moore4j.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/** {@link Charts#compact}: which clip references and styles it rewrites, and which it must keep. */
class ChartsCompactTest {
    private static final String AXIS = "stroke-width:0.5;stroke:rgb(128,128,128)";

    @Test
    void dropsOnlyTheCanvasClipAndClassesOnlyRepeatedLongStyles() {
        String svg = "<svg id='x-svg' viewBox='0 0 100 50'><defs>"
                + "<clipPath id='x-clip-0'><path d='M0,0L100,0L100,50L0,50L0,0Z'/></clipPath>"
                + "<clipPath id='x-clip-1'><path d='M10,5L10,40L90,40L90,5Z'/></clipPath></defs>"
                + ("<line x1='0' y1='1' x2='5' y2='1' style='" + AXIS + "' clip-path='url(#x-clip-0)'/>").repeat(3)
                + "<rect x='1' y='1' width='2' height='2' style='fill:rgb(1,2,3)' clip-path='url(#x-clip-0)'/>"
                + "<path d='M10,10L20,20' style='stroke:rgb(9,9,9);stroke-width:2.0' clip-path='url(#x-clip-1)'/></svg>";
        String out = SvgCompaction.compact(svg, "x[a=1]", 100, 50);
        assertThat(out).doesNotContain("url(#x-clip-0)").contains("clip-path='url(#x-clip-1)'"); // the plot-area clip stays
        String cls = "c-x_a_1_-" + Integer.toHexString("x[a=1]".hashCode()) + "-s0";
        assertThat(out).startsWith("<svg id='x-svg' viewBox='0 0 100 50'><style>." + cls + "{" + AXIS + "}</style>");
        assertThat(out.split(" class='" + cls + "'", -1)).hasSize(4);
        assertThat(out).contains("<rect x='1' y='1' width='2' height='2' fill='#010203'/>") // a lone fill: the attribute
                .contains("style='stroke:rgb(9,9,9);stroke-width:2.0'"); // used once
        assertThat(out.length()).isLessThan(svg.length());
    }

    @Test
    void aCanvasOfAnotherSizeKeepsItsClip() {
        String svg = "<svg><defs><clipPath id='y-clip-0'><path d='M0,0L100,0L100,60L0,60L0,0Z'/></clipPath></defs>"
                + "<rect x='1' y='1' width='2' height='2' clip-path='url(#y-clip-0)'/></svg>";
        assertThat(SvgCompaction.compact(svg, "y", 100, 50)).isEqualTo(svg);
    }

    @Test
    void coordinatesPrintToATenthWithoutTrailingZero() {
        assertThat(List.of(1100.0, 7.06, -0.04, 0.0, 12.35)).extracting(SvgCompaction::tenths).containsExactly("1100", "7.1", "0", "0", "12.4");
    }

    @Test
    void adjacentShapesWithTheSameClipShareOneGroup() {
        String a = "<rect x='1' y='1' width='2' height='2' fill='#010203' clip-path='url(#z-clip-1)'/>";
        String b = "<line x1='0' y1='1' x2='5' y2='1' clip-path='url(#z-clip-1)'/>";
        String c = "<rect x='3' y='3' width='2' height='2' clip-path='url(#z-clip-2)'/>";
        String svg = "<svg>" + a + b + c + "<g><text x='1' y='2'>t</text></g>" + a + "</svg>";
        assertThat(SvgCompaction.groupClips(svg)).isEqualTo("<svg><g clip-path='url(#z-clip-1)'>" + a.replace(" clip-path='url(#z-clip-1)'", "")
                + b.replace(" clip-path='url(#z-clip-1)'", "") + "</g>" + c + "<g><text x='1' y='2'>t</text></g>" + a + "</svg>");
    }
}
