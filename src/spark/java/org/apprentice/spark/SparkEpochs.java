package org.apprentice.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apprentice.kd.SparkTraining;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * {@link SparkTraining} on DL4J's parameter-averaging training master: every worker fits one minibatch
 * of batch / workers, then parameters and updater states are averaged (averaging frequency 1), the same
 * optimisation as {@code --replicas}. Minibatches reach Spark in rounds of {@link #ROUND} global steps
 * (parallelised from the driver), so an epoch never has to fit in the driver's memory at once.
 */
public final class SparkEpochs implements SparkTraining {

    /** Global steps per Spark job. */
    static final int ROUND = 32;

    private final JavaSparkContext context;
    private final int workers;

    private SparkEpochs(JavaSparkContext context) {
        this.context = context;
        this.workers = context.defaultParallelism();
    }

    /** Registered with {@link java.util.ServiceLoader} (META-INF/services). */
    public static final class Provider implements SparkTraining.Provider {
        @Override
        public SparkTraining start(String master) {
            SparkConf conf = new SparkConf().setMaster(master).setAppName("apprentice")
                    .set("spark.ui.enabled", "false");
            return new SparkEpochs(new JavaSparkContext(conf));
        }
    }

    @Override
    public int workers() {
        return workers;
    }

    @Override
    public double fit(ComputationGraph student, DataSetIterator labelledBatches) {
        int perWorker = labelledBatches.batch();
        int epoch = student.getConfiguration().getEpochCount();
        // the split of each round between the workers is drawn from the run's seed and the epoch, not the clock
        long seed = 31L * student.getConfiguration().getDefaultConfiguration().getSeed() + epoch;
        ParameterAveragingTrainingMaster master = new ParameterAveragingTrainingMaster.Builder(perWorker)
                .batchSizePerWorker(perWorker).averagingFrequency(1).saveUpdater(true).workerPrefetchNumBatches(0)
                .rddTrainingApproach(RDDTrainingApproach.Direct).repartionData(Repartition.Never).rngSeed(seed)
                .build();
        SparkComputationGraph spark = new SparkComputationGraph(context, student, master);
        double lossSum = 0;
        int rounds = 0;
        List<DataSet> round = new ArrayList<>();
        while (labelledBatches.hasNext()) {
            round.add(labelledBatches.next());
            if (round.size() == ROUND * workers || !labelledBatches.hasNext()) {
                spark.fit(context.parallelize(round, Math.min(workers, round.size())));
                // DL4J's Spark module counts each fit as an epoch; the epoch (and its learning rate) is the run's
                spark.getNetwork().getConfiguration().setEpochCount(epoch);
                lossSum += spark.getScore();
                rounds++;
                round = new ArrayList<>();
            }
        }
        ComputationGraph trained = spark.getNetwork();
        if (trained != student) {
            student.setParams(trained.params());
            student.getUpdater().setStateViewArray(trained.getUpdater().getStateViewArray());
        }
        return lossSum / rounds;
    }

    @Override
    public void close() {
        context.stop();
    }
}
