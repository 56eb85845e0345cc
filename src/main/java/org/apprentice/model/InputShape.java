package org.apprentice.model;

/** The shape of one input image, channels first. */
public record InputShape(int channels, int height, int width) {
    public InputShape {
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("input shape must be positive, got " + channels + ","
                    + height + "," + width);
        }
    }

    /** Parses "C,H,W" (e.g. "3,224,224"); the error names the text it could not read. */
    public static InputShape parse(String text) {
        String[] parts = text == null ? new String[0] : text.trim().split("\\s*[,x]\\s*");
        if (parts.length != 3) {
            throw new IllegalArgumentException("input shape '" + text + "' is not C,H,W (e.g. 3,224,224)");
        }
        try {
            return new InputShape(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]),
                    Integer.parseInt(parts[2]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("input shape '" + text + "' is not C,H,W (e.g. 3,224,224)");
        }
    }

    @Override
    public String toString() {
        return channels + "x" + height + "x" + width;
    }
}
