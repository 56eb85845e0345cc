package org.apprentice.cli;

import com.beust.jcommander.Parameter;
import com.beust.jcommander.Parameters;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apprentice.compress.Compression;
import org.apprentice.train.SettingKeys;

/**
 * {@code apprentice compress}: the whole job in one command ({@link Compression}). Its own flags name the two files
 * and the output folder; the others are the train command's, read through {@link SettingKeys} as train reads them,
 * and apply to every step (the full-precision fine-tunings run {@code --pretrain-epochs} epochs, else
 * {@code --epochs}).
 */
@Parameters(commandDescription = "From published weights to a deployable apprentice, resumable step by step: fine-tune the teacher (unless it has the data's classes) and the full-precision student on the data, lower the student and fine-tune it with the teacher (scheme C) and without (its control), export the better, and report the four models side by side")
final class CompressCommand {
    @Parameter(names = "--teacher-init", description = "The teacher's weights: a zip, .safetensors or .onnx (with batch norm)", required = true)
    Path teacherInit;

    @Parameter(names = "--student-init", description = "The student's full-precision weights: a zip, .safetensors or .onnx (with batch norm)", required = true)
    Path studentInit;

    @Parameter(names = "--out", description = "The folder of the steps, the export and the report (a stopped compress continues with the same command)", required = true)
    Path out;

    @Parameter(names = "--teacher", description = "The teacher's architecture (default: what --teacher-init records)")
    String teacher;

    @Parameter(names = "--student", description = "The student's architecture (default: what --student-init records)")
    String student;

    @Parameter(names = "--data", description = "fashion-mnist, synthetic, cifar10:DIR, or an image folder DIR (DIR/train, DIR/val)")
    String data;

    @Parameter(names = "--train-subset", description = "Training images to keep (stratified, seeded); 0 keeps all")
    String trainSubset;

    @Parameter(names = "--keep-classes", description = "Only these classes of in-memory data: 5-9 or 0,2,4")
    String keepClasses;

    @Parameter(names = "--image-size", description = "Input height and width")
    String imageSize;

    @Parameter(names = "--bits", description = "The student's weight bits (2: ternary)")
    String bits;

    @Parameter(names = "--act-bits", description = "The student's activation bits")
    String actBits;

    @Parameter(names = "--weights", description = "Weight quantizer: fixed, ttq, lsq")
    String weights;

    @Parameter(names = "--activations", description = "Activation quantizer: fixed, pact, lsq")
    String activations;

    @Parameter(names = "--epochs", description = "Epochs of each low-precision fine-tuning")
    String epochs;

    @Parameter(names = "--pretrain-epochs", description = "Epochs of each full-precision fine-tuning (default: --epochs)")
    String pretrainEpochs;

    @Parameter(names = "--batch", description = "Minibatch size")
    String batch;

    @Parameter(names = "--lr", description = "Learning rate of every step (default: 0.01, fine-tuning's)")
    String lr;

    @Parameter(names = "--augment", description = "crop-flip or none")
    String augment;

    @Parameter(names = "--seed", description = "Random seed of every step")
    String seed;

    @Parameter(names = "--workers", description = "Image-decoding threads (image folders)")
    String workers;

    int run(Path home, PrintStream stdout) throws IOException {
        Map<String, String> given = new LinkedHashMap<>();
        given.put("data", data);
        given.put("train-subset", trainSubset);
        given.put("keep-classes", keepClasses);
        given.put("image-size", imageSize);
        given.put("bits", bits);
        given.put("act-bits", actBits);
        given.put("weights", weights);
        given.put("activations", activations);
        given.put("epochs", epochs);
        given.put("pretrain-epochs", pretrainEpochs);
        given.put("batch", batch);
        given.put("lr", lr);
        given.put("augment", augment);
        given.put("seed", seed);
        given.put("workers", workers);
        List<SettingKeys.Change> changes = new ArrayList<>();
        given.forEach((key, value) -> {
            if (value != null) {
                changes.add(SettingKeys.change(key, value));
            }
        });
        Path report = new Compression(home, new Compression.Inputs(teacherInit, teacher, studentInit, student, changes,
                out), stdout).run();
        stdout.println("report: " + report);
        return 0;
    }
}
