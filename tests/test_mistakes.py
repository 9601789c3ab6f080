"""What a trained network gets wrong, checked against torch computing it from the same predictions."""

import torch

from models.training import datasets, mistakes, train
from models.training.train import TrainConfig


def _evaluation(n=300, k=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(k, (n,), generator=g)
    logits = torch.randn(n, k, generator=g) + 2.5 * torch.nn.functional.one_hot(labels, k)  # mostly right
    return mistakes.Evaluation(tuple("abcd"[:k]), labels, logits.softmax(1))


def test_the_confusion_matrix_is_the_count_of_each_true_predicted_pair():
    e = _evaluation()
    expected = torch.zeros(4, 4, dtype=torch.long)
    for t, p in zip(e.labels.tolist(), e.probs.argmax(1).tolist()):
        expected[t, p] += 1
    assert torch.equal(e.confusion(), expected)
    assert e.confusion().sum() == 300
    assert e.confusion().sum(1).tolist() == torch.bincount(e.labels, minlength=4).tolist()
    assert e.per_class_accuracy() == (expected.diag() / expected.sum(1)).tolist()


def test_a_cell_holds_exactly_its_images_and_the_pairs_are_the_largest_cells():
    e = _evaluation(seed=3)
    c = e.confusion()
    for t in range(4):
        for p in range(4):
            cell = e.cell(t, p)
            assert len(cell) == c[t, p]
            assert all(e.labels[i] == t and e.probs[i].argmax() == p for i in cell)
    (a, b, n), *_ = e.confused_pairs(3)
    off = c.clone().fill_diagonal_(0)
    assert n == off.max() and a != b and c[a, b] == n


def test_the_most_confident_mistakes_come_first():
    e = _evaluation(seed=5)
    wrong = e.confidently_wrong(12)
    assert all(e.probs[i].argmax() != e.labels[i] for i in wrong)
    confidence = [float(e.probs[i].max()) for i in wrong]
    assert confidence == sorted(confidence, reverse=True)
    others = [float(e.probs[i].max()) for i in range(len(e.labels))
              if e.probs[i].argmax() != e.labels[i] and i not in wrong]
    assert not others or max(others) <= confidence[-1]


def test_a_trained_runs_evaluation_agrees_with_its_final_validation_accuracy():
    config = TrainConfig(epochs=1, train_size=512)
    result = train.train(config, torch.device("cpu"))
    data = datasets.load("synthetic")
    held = train.splits(config, data)[1]
    x, y = data.train_x[held][: mistakes.EVAL_SIZE], data.train_y[held][: mistakes.EVAL_SIZE]
    e = mistakes.evaluate(train.restore(result), x, y, result.classes)
    assert e.confusion().diag().sum().item() / len(y) == result.final_val_acc
