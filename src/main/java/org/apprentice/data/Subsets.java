package org.apprentice.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/** {@code --train-subset}: a stratified, seeded subset of a training split, the same number of images per class. */
public final class Subsets {
    private Subsets() {
    }

    /**
     * The indices kept of a split whose examples have the given class labels: all of them (in order) when
     * {@code subset} is 0 or the split's size, else {@code subset / classCount} of each class, chosen with
     * {@code seed}, in order. A subset larger than the split, or one that cannot hold as many images of each class,
     * is refused in one line naming the flag.
     */
    public static List<Integer> stratified(int[] labels, int subset, long seed, int classCount) {
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            all.add(i);
        }
        if (subset <= 0 || subset == labels.length) {
            return all;
        }
        requireWithin(subset, labels.length);
        requireStratifiable(subset, classCount);
        Collections.shuffle(all, new Random(seed));
        int perClass = subset / classCount;
        int[] taken = new int[classCount];
        List<Integer> keep = new ArrayList<>();
        for (int i : all) {
            if (taken[labels[i]] < perClass) {
                taken[labels[i]]++;
                keep.add(i);
            }
        }
        Collections.sort(keep);
        return keep;
    }

    /** Refuses, naming the flag, a subset larger than the training split it is drawn from. */
    public static void requireWithin(int subset, int splitSize) {
        if (subset > splitSize) {
            throw new IllegalArgumentException("--train-subset " + subset + " is more than the " + splitSize
                    + " images of the training split: give at most " + splitSize + ", or 0 for all of them");
        }
    }

    /** Refuses, naming the flag, a subset size that is not a positive multiple of the number of classes. */
    public static void requireStratifiable(int subset, int classCount) {
        if (subset < classCount || subset % classCount != 0) {
            int below = subset / classCount * classCount;
            throw new IllegalArgumentException("--train-subset " + subset + " is not a multiple of the " + classCount
                    + " classes (a stratified subset keeps as many images of each class): use "
                    + (below > 0 ? below + " or " : "") + (below + classCount));
        }
    }
}
