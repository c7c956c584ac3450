package dev.proxima.nn;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Conv2dSpec;
import dev.proxima.tensor.Rng;

/**
 * The basic residual block of a small ResNet (He et al. 2016; torchvision's BasicBlock):
 * {@code relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))} with 3×3 convolutions, the
 * first one strided. The shortcut is the identity, or a strided 1×1 convolution plus batch
 * norm when the shape changes. Children: conv1, bn1, conv2, bn2, shortcut (a Sequential).
 */
public final class ResidualBlock extends Module {
    private final Conv2d conv1, conv2;
    private final BatchNorm2d bn1, bn2;
    private final Sequential shortcut; // null: identity

    public ResidualBlock(int in, int out, int stride, Rng rng) {
        conv1 = registerChild("conv1", new Conv2d(in, out, 3, 3, Conv2dSpec.of(stride, 1), false, rng));
        bn1 = registerChild("bn1", new BatchNorm2d(out));
        conv2 = registerChild("conv2", new Conv2d(out, out, 3, 3, Conv2dSpec.of(1, 1), false, rng));
        bn2 = registerChild("bn2", new BatchNorm2d(out));
        shortcut = stride != 1 || in != out
                ? registerChild("shortcut", new Sequential(new Conv2d(in, out, 1, 1, Conv2dSpec.of(stride, 0), false, rng), new BatchNorm2d(out)))
                : null;
    }

    @Override
    protected Tensor compute(Call call, Tensor x) {
        Tensor y = call.run("bn1", bn1, call.run("conv1", conv1, x)).relu();
        y = call.run("bn2", bn2, call.run("conv2", conv2, y));
        return y.add(shortcut == null ? x : call.run("shortcut", shortcut, x)).relu();
    }
}
