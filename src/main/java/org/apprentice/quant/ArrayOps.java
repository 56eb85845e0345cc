package org.apprentice.quant;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.HardTanhDerivative;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Rint;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@link TensorOps} on ND4J arrays. {@link #COPYING} leaves its arguments untouched; {@link #IN_PLACE}
 * overwrites the first argument of element-wise operations (no temporaries: the activation quantizer
 * runs on every activation of every step, where allocations cost more than the arithmetic).
 */
public final class ArrayOps implements TensorOps<INDArray> {
    public static final ArrayOps COPYING = new ArrayOps(false);
    public static final ArrayOps IN_PLACE = new ArrayOps(true);

    private final boolean inPlace;

    private ArrayOps(boolean inPlace) {
        this.inPlace = inPlace;
    }

    @Override
    public ArrayOps inPlace() {
        return IN_PLACE;
    }

    private INDArray target(INDArray x) {
        return inPlace ? x : x.dup();
    }

    @Override
    public INDArray constant(INDArray like, double value) {
        return Nd4j.scalar(like.dataType(), value);
    }

    @Override
    public INDArray abs(INDArray x) {
        return Transforms.abs(x, !inPlace);
    }

    @Override
    public INDArray sign(INDArray x) {
        return Transforms.sign(x, !inPlace);
    }

    @Override
    public INDArray round(INDArray x) {
        INDArray out = inPlace ? x : Nd4j.createUninitialized(x.dataType(), x.shape(), x.ordering());
        Nd4j.getExecutioner().exec(new Rint(x, out));
        return out;
    }

    @Override
    public INDArray clip(INDArray x, double min, double max) {
        INDArray out = target(x);
        Transforms.max(out, min, false);
        return Transforms.min(out, max, false);
    }

    @Override
    public INDArray mul(INDArray x, INDArray y) {
        if (y.length() == 1) {
            return mul(x, y.getDouble(0));
        }
        return inPlace ? x.muli(y) : x.mul(y);
    }

    @Override
    public INDArray add(INDArray x, INDArray y) {
        if (y.length() == 1) {
            return add(x, y.getDouble(0));
        }
        return inPlace ? x.addi(y) : x.add(y);
    }

    @Override
    public INDArray add(INDArray x, double y) {
        return inPlace ? x.addi(y) : x.add(y);
    }

    @Override
    public INDArray sub(INDArray x, INDArray y) {
        if (y.length() == 1) {
            return add(x, -y.getDouble(0));
        }
        return inPlace ? x.subi(y) : x.sub(y);
    }

    @Override
    public INDArray mul(INDArray x, double y) {
        return inPlace ? x.muli(y) : x.mul(y);
    }

    @Override
    public INDArray div(INDArray x, INDArray y) {
        if (y.length() == 1) {
            return div(x, y.getDouble(0));
        }
        return inPlace ? x.divi(y) : x.div(y);
    }

    @Override
    public INDArray div(INDArray x, double y) {
        return inPlace ? x.divi(y) : x.div(y);
    }

    @Override
    public INDArray greaterThan(INDArray x, INDArray threshold) {
        return x.gt(threshold.getDouble(0)).castTo(x.dataType());
    }

    @Override
    public INDArray inRange(INDArray x, double min, double max) {
        INDArray out = target(x);
        if (min == 0.0 && max == 1.0) {
            // the activation STE mask, on every activation of every step: move negatives out of
            // [-1, 1], then hardtanh's derivative is 1 exactly on [-1, 1] (bounds included)
            BooleanIndexing.replaceWhere(out, 2.0, Conditions.lessThan(0.0));
            Nd4j.getExecutioner().exec(new HardTanhDerivative(out, out));
            return out;
        }
        if (min == -1.0 && max == 1.0) {
            Nd4j.getExecutioner().exec(new HardTanhDerivative(out, out));
            return out;
        }
        // any other range: mark values outside [min, max] with a sentinel s > max (and s != 1),
        // set everything else to 1, then the sentinels to 0
        double sentinel = 2 + 2 * Math.abs(max) + Math.abs(min);
        BooleanIndexing.replaceWhere(out, sentinel, Conditions.greaterThan(max));
        BooleanIndexing.replaceWhere(out, sentinel, Conditions.lessThan(min));
        BooleanIndexing.replaceWhere(out, 1.0, Conditions.lessThanOrEqual(max));
        BooleanIndexing.replaceWhere(out, 0.0, Conditions.equals(sentinel));
        return out;
    }

    @Override
    public INDArray mean(INDArray x) {
        return x.mean();
    }

    @Override
    public INDArray sum(INDArray x) {
        return x.sum();
    }

    @Override
    public INDArray max(INDArray x) {
        return x.max();
    }

    @Override
    public INDArray meanPerChannel(INDArray x) {
        return x.mean(true, channelDims(x));
    }

    @Override
    public INDArray sumPerChannel(INDArray x) {
        return x.sum(true, channelDims(x));
    }

    @Override
    public INDArray maxPerChannel(INDArray x) {
        return x.max(true, channelDims(x));
    }

    private static int[] channelDims(INDArray x) {
        int[] dims = new int[x.rank() - 1];
        for (int i = 1; i < x.rank(); i++) {
            dims[i - 1] = i;
        }
        return dims;
    }

    @Override
    public INDArray positiveOrOne(INDArray x) {
        INDArray out = target(x);
        BooleanIndexing.replaceWhere(out, 1.0, Conditions.lessThanOrEqual(0.0));
        return out;
    }

    @Override
    public INDArray atLeastOne(INDArray x) {
        return Nd4j.scalar(x.dataType(), Math.max(1.0, x.getDouble(0)));
    }

}
