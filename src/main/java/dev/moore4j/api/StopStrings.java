package dev.moore4j.api;

import java.util.List;

/**
 * Text as it is generated, cut at the first of the caller's stop strings (which is not part of the answer). Text that
 * could be the start of a stop string is held back until the next piece shows it is not, so a streamed answer never
 * shows what the whole answer leaves out.
 */
final class StopStrings {
    private final List<String> stops;
    private final StringBuilder text = new StringBuilder();
    private int released;
    private boolean stopped;

    StopStrings(List<String> stops) {
        this.stops = stops.stream().filter(s -> !s.isEmpty()).toList();
    }

    /** Adds a generated piece; returns the text that is now certain to be part of the answer (possibly empty). */
    String add(String piece) {
        if (stopped) {
            return "";
        }
        text.append(piece);
        int cut = firstStop();
        if (cut >= 0) {
            stopped = true;
            text.setLength(cut);
            return release(cut);
        }
        return release(text.length() - heldBack());
    }

    /** Whether a stop string has appeared: the generation should end. */
    boolean stopped() {
        return stopped;
    }

    /** What was held back, once the generation has ended without a stop string. */
    String flush() {
        return release(text.length());
    }

    /** The answer so far (all of it after {@link #flush}). */
    String text() {
        return text.toString();
    }

    private String release(int upTo) {
        String out = text.substring(released, Math.max(released, upTo));
        released = Math.max(released, upTo);
        return out;
    }

    private int firstStop() {
        int best = -1;
        for (String s : stops) {
            int i = text.indexOf(s, Math.max(0, released - s.length()));
            if (i >= 0 && (best < 0 || i < best)) {
                best = i;
            }
        }
        return best;
    }

    /** The longest end of the text that is a proper start of some stop string. */
    private int heldBack() {
        int hold = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, text.length()); k > hold; k--) {
                if (text.substring(text.length() - k).equals(s.substring(0, k))) {
                    hold = k;
                    break;
                }
            }
        }
        return hold;
    }
}
