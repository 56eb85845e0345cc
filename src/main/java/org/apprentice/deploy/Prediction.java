package org.apprentice.deploy;

/** One class a model sees in an image: its index, its name, and the model's probability for it. */
public record Prediction(int index, String label, double probability) {
    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%s %.4f", label, probability);
    }
}
