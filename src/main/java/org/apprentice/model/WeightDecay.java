package org.apprentice.model;

import org.apprentice.io.FlagValues;

/** How {@code --wd} enters training ({@code --wd-form}). */
public enum WeightDecay {
    /**
     * L2 on the gradient before the updater: g + wd·w goes through Nesterov's momentum, as
     * {@code torch.optim.SGD(weight_decay=...)} and the torchvision and timm recipes apply it.
     */
    L2,
    /**
     * DL4J's {@code WeightDecay}: lr·wd·w subtracted after the updater, outside the momentum; about 10x
     * weaker at momentum 0.9 for the same number. What {@code --wd} meant before L2 became the default.
     */
    DECOUPLED;

    public String flag() {
        return name().toLowerCase();
    }

    public static WeightDecay parse(String text) {
        return FlagValues.parse("--wd-form", text, values(), WeightDecay::flag);
    }
}
