package org.apprentice.data;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Some of a dataset's classes ({@code --keep-classes 5-9}): the images of those classes only, relabelled 0..k-1 in the
 * order given, with their names; in both splits.
 *
 * @param indices the kept classes' labels in the whole dataset, distinct, at least two
 */
public record ClassSubset(List<Integer> indices) {
    public ClassSubset {
        indices = List.copyOf(indices);
        if (indices.size() < 2 || indices.stream().distinct().count() != indices.size()
                || indices.stream().anyMatch(i -> i < 0)) {
            throw new IllegalArgumentException("--keep-classes " + indices + ": give at least two distinct class "
                    + "indices (from 0), as 5-9 or 0,2,4");
        }
    }

    /** Reads "5-9" (a range) or "0,2,4" (a list); the error names the flag and the text. */
    public static ClassSubset parse(String text) {
        List<Integer> indices = new ArrayList<>();
        try {
            for (String part : text.trim().split(",")) {
                String[] range = part.trim().split("-");
                int from = Integer.parseInt(range[0].trim());
                int to = range.length == 2 ? Integer.parseInt(range[1].trim()) : from;
                if (range.length > 2 || to < from || to > 100_000) {
                    throw new NumberFormatException(part);
                }
                for (int i = from; i <= to; i++) {
                    indices.add(i);
                }
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--keep-classes '" + text + "' is not a list of class indices such as "
                    + "5-9 or 0,2,4");
        }
        return new ClassSubset(indices);
    }

    /** "5-9" or "0,2,4": as {@link #parse} reads it. */
    public String flag() {
        int first = indices.get(0);
        boolean range = true;
        for (int k = 0; k < indices.size(); k++) {
            range &= indices.get(k) == first + k;
        }
        return range ? first + "-" + indices.get(indices.size() - 1)
                : String.join(",", indices.stream().map(String::valueOf).toList());
    }

    /** The kept classes' names, in the subset's order; refused in one line when an index is past the dataset's. */
    public List<String> names(List<String> all) {
        for (int i : indices) {
            if (i >= all.size()) {
                throw new IllegalArgumentException("--keep-classes " + flag() + ": the data have " + all.size()
                        + " classes (0-" + (all.size() - 1) + ")");
            }
        }
        return indices.stream().map(all::get).toList();
    }

    /** The images of the kept classes, in their order in {@code all}, their one-hot labels over the subset. */
    public DataSet keep(DataSet all) {
        int[] labels = labels(all.getLabels());
        List<Integer> rows = new ArrayList<>();
        for (int r = 0; r < labels.length; r++) {
            if (indices.contains(labels[r])) {
                rows.add(r);
            }
        }
        return rows(all, rows, labels);
    }

    /** {@code rows} of {@code data} (labelled over the whole dataset by {@code labels}), relabelled over the subset. */
    DataSet rows(DataSet data, List<Integer> rows, int[] labels) {
        INDArray features = Nd4j.pullRows(data.getFeatures().reshape(data.numExamples(), -1), 1,
                rows.stream().mapToInt(Integer::intValue).toArray());
        long[] shape = data.getFeatures().shape().clone();
        shape[0] = rows.size();
        INDArray y = Nd4j.zeros(DataType.FLOAT, rows.size(), indices.size());
        for (int k = 0; k < rows.size(); k++) {
            y.putScalar(k, indices.indexOf(labels[rows.get(k)]), 1.0);
        }
        return new DataSet(features.reshape(shape), y);
    }

    /** Each row's class, from one-hot labels. */
    static int[] labels(INDArray oneHot) {
        int[] labels = new int[(int) oneHot.size(0)];
        INDArray argMax = oneHot.argMax(1);
        for (int r = 0; r < labels.length; r++) {
            labels[r] = argMax.getInt(r);
        }
        return labels;
    }
}
