/**
 * The loss families (what keeps a method from collapsing), in the order the
 * gallery and results/ show them, and a document's family from its kinds.
 */
import type { GraphDoc, LossFamily } from '../graph';
import { validate } from './index';

/**
 * A document's family: the one its first loss kind declares (its `family`
 * trait). A loss kind that declares none counts as asymmetry when it has two
 * sides (prediction vs target), else as negatives.
 */
export function familyOf(doc: GraphDoc): LossFamily | undefined {
  const loss = [...validate(doc).traits.values()].find((t) => t.loss);
  return loss && (loss.family ?? (loss.lossSides ? 'asymmetry' : 'negatives'));
}

/** An ablation's expected outcome: the sentence of its description that starts "Expected:". */
export const expectedOutcome = (description = '') => description.match(/(?:^|\s)Expected: (.*?\.)(?=\s|$)/)?.[1];

/** The families, in the gallery's order, each with what its papers say prevents collapse. */
export const families: readonly { family: LossFamily; title: string; paragraph: string }[] = [
  {
    family: 'negatives',
    title: 'Negatives',
    paragraph: 'SimCLR: “given a positive pair, the other 2(N − 1) augmented examples within a minibatch are treated as negative examples”, '
      + 'and “larger batch sizes provide more negative examples, facilitating convergence” (Chen et al. 2020, §2.1, §5.2, arXiv 2002.05709). '
      + 'MoCo builds “a dynamic dictionary with a queue and a moving-averaged encoder” (He et al. 2020, abstract, arXiv 1911.05722). '
      + 'Take the negatives away and nothing pushes the embeddings apart.',
  },
  {
    family: 'asymmetry',
    title: 'Asymmetry',
    paragraph: 'SimSiam: “collapsing solutions do exist for the loss and structure, but a stop-gradient operation plays an essential role in preventing collapsing” '
      + '(Chen & He 2020, abstract, arXiv 2011.10566). BYOL: “the addition of a predictor to the online network and the use of a slow-moving average of the online parameters '
      + 'as the target network encourages encoding more and more information within the online projection and avoids collapsed solutions” (Grill et al. 2020, §3.2, arXiv 2006.07733).',
  },
  {
    family: 'decorrelation',
    title: 'Decorrelation',
    paragraph: 'Barlow Twins “naturally avoids collapse by measuring the cross-correlation matrix between the outputs of two identical networks fed with distorted versions of a sample, '
      + 'and making it as close to the identity matrix as possible” (Zbontar et al. 2021, abstract, arXiv 2103.03230). VICReg “explicitly avoids the collapse problem with a simple '
      + 'regularization term on the variance of the embeddings along each dimension individually”, and its covariance term decorrelates the dimensions (Bardes, Ponce & LeCun 2022, '
      + 'abstract, arXiv 2105.04906). Neither needs a stop-gradient, a predictor or negatives.',
  },
];
