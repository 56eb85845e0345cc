package org.apprentice.bench;

import java.util.Arrays;
import java.util.List;
import org.apprentice.kd.ApprenticeTrainer;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;
import org.apprentice.runtime.Backend;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Times full training steps (forward, backward, update) of a ResNet on random data: the median
 * seconds per step after warm-up, and images per second. Figures are only comparable within one run.
 */
public final class TrainingStepBenchmark {

    /** One measured configuration. */
    public record Result(String label, int batch, double medianSeconds, double minSeconds, boolean helpersAttached) {
        public double imagesPerSecond() {
            return batch / medianSeconds;
        }
    }

    private TrainingStepBenchmark() {
    }

    public static Result run(String label, ResNetConfig config, int batch, int warmup, int steps) {
        Setup setup = Setup.of(config, batch, warmup);
        double[] seconds = new double[steps];
        for (int i = 0; i < steps; i++) {
            long start = System.nanoTime();
            setup.net().fit(setup.xs(), setup.ys());
            seconds[i] = (System.nanoTime() - start) / 1e9;
        }
        Arrays.sort(seconds);
        double median = steps % 2 == 1 ? seconds[steps / 2] : (seconds[steps / 2 - 1] + seconds[steps / 2]) / 2;
        boolean helpers = Backend.helperReport(setup.net()).stream().noneMatch(line -> line.endsWith(": none"));
        return new Result(label, batch, median, seconds[0], helpers);
    }

    /**
     * Images per second of a pass over {@code steps} random global minibatches of {@code batch} through the
     * training loop with {@code replicas} data-parallel replicas, each taking {@code batch / replicas} images
     * per step (1: the model itself); measured on the second pass, the first warms up.
     */
    public static double replicatedImagesPerSecond(ResNetConfig config, int batch, int replicas, int steps) {
        Setup setup = Setup.of(config, batch * steps, 0);
        ApprenticeTrainer trainer = ApprenticeTrainer.withoutTeacher(setup.net()).replicas(replicas);
        DataSetIterator passes = new ListDataSetIterator<>(
                new DataSet(setup.xs()[0], setup.ys()[0]).asList(), batch / replicas);
        trainer.trainEpoch(0, passes);
        return trainer.trainEpoch(1, passes).imagesPerSecond();
    }

    /** Where the time of {@code steps} training steps goes, after warm-up ({@link StepProfile}). */
    public static List<StepProfile.Part> profile(ResNetConfig config, int batch, int warmup, int steps) {
        Setup setup = Setup.of(config, batch, warmup);
        return StepProfile.of(setup.net(), setup.xs(), setup.ys(), steps);
    }

    /** A network warmed up on one random minibatch. */
    private record Setup(ComputationGraph net, INDArray[] xs, INDArray[] ys) {
        static Setup of(ResNetConfig config, int batch, int warmup) {
            ComputationGraph net = ResNetBuilder.build(config);
            var in = config.input();
            Nd4j.getRandom().setSeed(config.seed());
            INDArray x = Nd4j.rand(config.dataType(), batch, in.channels(), in.height(), in.width());
            INDArray y = Nd4j.zeros(config.dataType(), batch, config.numClasses());
            for (int i = 0; i < batch; i++) {
                y.putScalar(i, i % config.numClasses(), 1.0);
            }
            Setup setup = new Setup(net, new INDArray[] {x}, new INDArray[] {y});
            for (int i = 0; i < warmup; i++) {
                net.fit(setup.xs(), setup.ys());
            }
            return setup;
        }
    }
}
