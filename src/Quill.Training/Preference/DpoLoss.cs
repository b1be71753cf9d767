// The DPO loss over pairs from answer log-probability sums (Rafailov et al. 2023), with its gradient.
namespace Quill.Training.Preference;

/// <summary>
/// For pair i, h_i = β·((π_c − ref_c) − (π_r − ref_r)) with π, ref the summed answer log-probabilities under the policy
/// and the reference; L = mean over the n pairs of −log σ(h_i). dL/dπ_c,i = −β·σ(−h_i)/n and dL/dπ_r,i = +β·σ(−h_i)/n.
/// Everything is in double; log σ is computed without overflow for any finite h.
/// </summary>
public static class DpoLoss
{
    /// <summary>
    /// The loss and rewards of the pairs; <paramref name="chosenGradient"/>[i] receives dL/dπ_c,i (dL/dπ_r,i is its negation).
    /// </summary>
    public static DpoStatistics Forward(ReadOnlySpan<double> policyChosen, ReadOnlySpan<double> policyRejected,
        ReadOnlySpan<double> referenceChosen, ReadOnlySpan<double> referenceRejected, double beta, Span<double> chosenGradient)
    {
        int n = policyChosen.Length;
        if (n == 0 || policyRejected.Length != n || referenceChosen.Length != n || referenceRejected.Length != n || chosenGradient.Length != n)
            throw new ArgumentException($"DPO loss: expected equal non-zero counts of pairs, found {policyChosen.Length}, {policyRejected.Length}, " +
                $"{referenceChosen.Length}, {referenceRejected.Length} and a gradient of {chosenGradient.Length}");
        double loss = 0, margin = 0, chosenReward = 0, rejectedReward = 0;
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            double chosen = beta * (policyChosen[i] - referenceChosen[i]);
            double rejected = beta * (policyRejected[i] - referenceRejected[i]);
            double h = chosen - rejected;
            loss -= LogSigmoid(h);
            chosenGradient[i] = -beta * Sigmoid(-h) / n;
            margin += h;
            chosenReward += chosen;
            rejectedReward += rejected;
            if (chosen > rejected) correct++;
        }
        return new DpoStatistics((float)(loss / n), (float)correct / n, (float)(margin / n), (float)(chosenReward / n), (float)(rejectedReward / n), n);
    }

    /// <summary>log σ(x) = min(x, 0) − log(1 + e^−|x|), finite for every finite x.</summary>
    public static double LogSigmoid(double x) => Math.Min(x, 0) - double.LogP1(Math.Exp(-Math.Abs(x)));

    /// <summary>σ(x) without overflow: e^x / (1 + e^x) for negative x, 1 / (1 + e^−x) otherwise.</summary>
    public static double Sigmoid(double x)
    {
        if (x >= 0) return 1 / (1 + Math.Exp(-x));
        double e = Math.Exp(x);
        return e / (1 + e);
    }
}
