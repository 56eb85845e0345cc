package org.nd4j.nativeblas;

import java.lang.reflect.Method;

/**
 * Compatibility shim that lets DL4J 1.0.0-M2.1 find out whether oneDNN is on.
 *
 * <p>{@code org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper#mklDnnEnabled()} looks up, by
 * reflection, {@code org.nd4j.nativeblas.Nd4jCpu$Environment.getInstance().isUseMKLDNN()}. M2.1
 * moved that class to {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu} and renamed the method
 * to {@code isUseONEDNN()}, so the lookup fails and every oneDNN layer helper stays off (convolutions
 * then run a Java im2col path about 13x slower). This class answers at the old name by forwarding to
 * the new one. It is reached only by reflection, so the project also compiles against the CUDA
 * backend, where the forwarded class does not exist (and where the answer is then {@code false}).
 */
public final class Nd4jCpu {
    private Nd4jCpu() {
    }

    /** The old {@code Nd4jCpu.Environment}, with the one method DL4J asks for. */
    public static final class Environment {
        private static final String RENAMED_CLASS =
                "org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment";
        private static final Environment INSTANCE = new Environment();

        private Environment() {
        }

        public static Environment getInstance() {
            return INSTANCE;
        }

        /** Whether the CPU backend's natives were built with oneDNN and have it switched on. */
        public boolean isUseMKLDNN() {
            try {
                Class<?> env = Class.forName(RENAMED_CLASS);
                Object instance = env.getMethod("getInstance").invoke(null);
                Method useOneDnn = env.getMethod("isUseONEDNN");
                return (Boolean) useOneDnn.invoke(instance);
            } catch (ReflectiveOperationException | LinkageError e) {
                return false;
            }
        }
    }
}
