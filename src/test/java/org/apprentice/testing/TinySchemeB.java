package org.apprentice.testing;

import org.apprentice.data.SyntheticImages;
import org.apprentice.kd.ApprenticeLoss;
import org.apprentice.kd.Heads;
import org.apprentice.model.InputShape;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Nesterovs;

/**
 * A scheme-B setting small enough for a unit test: 48 synthetic 12x12 images of 3 classes, an untrained
 * resnet8 x0.25 teacher and a ternary-weight, 4-bit-activation resnet8 x0.25 student with the apprentice head.
 */
public record TinySchemeB(ComputationGraph teacher, ComputationGraph student, DataSet train) {

    public static TinySchemeB create() {
        InputShape shape = new InputShape(1, 12, 12);
        ResNetConfig config = ResNetConfig.of("resnet8", 3, shape).withWidthMultiplier(0.25).withSeed(12)
                .withUpdater(new Nesterovs(0.05, 0.9), 1e-4);
        return new TinySchemeB(ResNetBuilder.build(config.withSeed(11)),
                ResNetBuilder.build(config.withPrecision(PrecisionSpec.of(2, 4)), Heads.apprentice(new ApprenticeLoss())),
                SyntheticImages.generate(shape, 3, 48, 1));
    }
}
