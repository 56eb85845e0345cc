package org.apprentice.cli;

import com.beust.jcommander.Parameter;
import com.beust.jcommander.Parameters;
import com.beust.jcommander.ParametersDelegate;
import java.io.PrintStream;
import org.apprentice.model.InputShape;
import org.apprentice.model.ModelSummary;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;

/** {@code apprentice summary}: the layers of a ResNet by stage, stage output shapes, trainable parameters. */
@Parameters(commandDescription = "Print a ResNet's layers by stage, each stage's output shape and its trainable parameters")
final class SummaryCommand {
    @Parameter(names = "--model", description = "Model name (resnet18/34/50/101/152, resnet8/20/32/44/56/110)", required = true)
    String model;

    @Parameter(names = "--classes", description = "Number of classes")
    int classes = 1000;

    @Parameter(names = "--input", description = "Input shape C,H,W (default: 3,224,224 for ImageNet-shape models, 3,32,32 for small-image ones)")
    String input;

    @Parameter(names = "--width", description = "Width multiplier for every layer's channels (WRPN widens low-precision students)")
    double width = 1.0;

    @ParametersDelegate
    PrecisionOptions precision = new PrecisionOptions();

    int run(PrintStream out) {
        ResNetConfig base = ResNetConfig.of(model, classes, new InputShape(3, 32, 32));
        InputShape shape = input != null ? InputShape.parse(input)
                : base.architecture().shape() == org.apprentice.model.StemShape.IMAGENET
                        ? new InputShape(3, 224, 224) : new InputShape(3, 32, 32);
        ResNetConfig config = ResNetConfig.of(model, classes, shape).withWidthMultiplier(width)
                .withPrecision(precision.spec());
        out.print(ModelSummary.render(config, ResNetBuilder.build(config)));
        return 0;
    }
}
