package org.apprentice.quant;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.factory.Nd4j;

/** {@link TensorOps} as SameDiff ops: builds a graph that SameDiff can execute and differentiate. */
public final class SameDiffOps implements TensorOps<SDVariable> {
    private final SameDiff sd;

    public SameDiffOps(SameDiff sd) {
        this.sd = sd;
    }

    @Override
    public SDVariable constant(SDVariable like, double value) {
        return sd.constant(Nd4j.scalar(like.dataType(), value));
    }

    @Override
    public SDVariable abs(SDVariable x) {
        return sd.math().abs(x);
    }

    @Override
    public SDVariable sign(SDVariable x) {
        return sd.math().sign(x);
    }

    @Override
    public SDVariable round(SDVariable x) {
        // M2.1 cannot build a gradient graph through its rint op (Rint.doDiff throws, and SameDiff
        // rebuilds ops by name, so an override is ignored), even behind a stop-gradient. The same
        // rounding from differentiable ops: f = floor(x + 1/2), minus 1 where x + 1/2 is an integer
        // (a tie) and f is odd. Agrees with rint except within one ulp of a tie.
        SDVariable shifted = x.add(0.5);
        SDVariable down = sd.math().floor(shifted);
        SDVariable tie = shifted.eq(down).castTo(x.dataType());
        SDVariable odd = down.sub(sd.math().floor(down.div(2.0)).mul(2.0));
        return down.sub(tie.mul(odd));
    }

    @Override
    public SDVariable clip(SDVariable x, double min, double max) {
        return sd.math().clipByValue(x, min, max);
    }

    @Override
    public SDVariable mul(SDVariable x, SDVariable y) {
        return x.mul(y);
    }

    @Override
    public SDVariable add(SDVariable x, SDVariable y) {
        return x.add(y);
    }

    @Override
    public SDVariable add(SDVariable x, double y) {
        return x.add(y);
    }

    @Override
    public SDVariable sub(SDVariable x, SDVariable y) {
        return x.sub(y);
    }

    @Override
    public SDVariable mul(SDVariable x, double y) {
        return x.mul(y);
    }

    @Override
    public SDVariable div(SDVariable x, SDVariable y) {
        return x.div(y);
    }

    @Override
    public SDVariable div(SDVariable x, double y) {
        return x.div(y);
    }

    @Override
    public SDVariable greaterThan(SDVariable x, SDVariable threshold) {
        return x.gt(threshold).castTo(x.dataType());
    }

    @Override
    public SDVariable inRange(SDVariable x, double min, double max) {
        return x.gte(min).castTo(x.dataType()).mul(x.lte(max).castTo(x.dataType()));
    }

    @Override
    public SDVariable mean(SDVariable x) {
        return x.mean();
    }

    @Override
    public SDVariable sum(SDVariable x) {
        return x.sum();
    }

    @Override
    public SDVariable max(SDVariable x) {
        return x.max();
    }

    @Override
    public SDVariable meanPerChannel(SDVariable x) {
        return x.mean(true, channelDims(x));
    }

    @Override
    public SDVariable sumPerChannel(SDVariable x) {
        return x.sum(true, channelDims(x));
    }

    @Override
    public SDVariable maxPerChannel(SDVariable x) {
        return x.max(true, channelDims(x));
    }

    private static int[] channelDims(SDVariable x) {
        long[] shape = x.getShape();
        int rank = shape == null ? 4 : shape.length;
        int[] dims = new int[rank - 1];
        for (int i = 1; i < rank; i++) {
            dims[i - 1] = i;
        }
        return dims;
    }

    @Override
    public SDVariable positiveOrOne(SDVariable x) {
        SDVariable positive = x.gt(0.0).castTo(x.dataType());
        return x.mul(positive).add(positive.rsub(1.0));
    }

    @Override
    public SDVariable atLeastOne(SDVariable x) {
        SDVariable below = x.lt(1.0).castTo(x.dataType());
        return x.mul(below.rsub(1.0)).add(below);
    }
}
