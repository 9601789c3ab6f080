"""The seed notes' concepts each have their place, in both languages, with the notes' Korean terms."""

import pytest

from lessons import sections

# concept: (lesson, English words, Korean words) — each must appear in that lesson's text
CONCEPTS = {
    "overfitting": ("overfitting", ["Overfitting", "low training error with a high test error"], ["과적합"]),
    "degradation is not overfitting": ("overfitting", ["degradation problem", "higher training error"],
                                       ["성능 저하", "학습 오차가 더 높습니다"]),
    "causes": ("overfitting", ["too complex", "too little data", "no regularisation"],
               ["복잡한 모델", "적은 데이터", "정규화(regularization)가 없는"]),
    "more data": ("overfitting", ["more data"], ["더 많은 데이터"]),
    "dropout": ("overfitting", ["dropout", "p = 0.5"], ["드롭아웃", "p = 0.5"]),
    "L2 regularisation": ("overfitting", ["weight decay", "L2"], ["가중치 감쇠", "L2 정규화"]),
    "data augmentation": ("overfitting", ["data augmentation"], ["데이터 증강"]),
    "early stopping": ("overfitting", ["early stopping"], ["조기 종료"]),
    "train / validation / test": ("overfitting", ["training", "validation", "test"], ["학습", "검증", "테스트"]),
    "cross-validation": ("overfitting", ["k-fold cross-validation"], ["교차 검증"]),
    "vanishing gradients": ("overfitting", ["vanishing gradients"], ["기울기 소실"]),
    "residual connections": ("overfitting", ["residual connections"], ["잔차 연결"]),
    "AlexNet's ReLU": ("classic_networks", ["ReLU", "does not saturate"], ["ReLU", "포화되지 않음"]),
    "AlexNet's dropout": ("classic_networks", ["dropout"], ["드롭아웃"]),
    "AlexNet's augmentation": ("classic_networks", ["data augmentation"], ["데이터 증강"]),
    "local response normalisation": ("classic_networks", ["local response normalisation", "LRN"],
                                     ["국소 응답 정규화", "LRN"]),
    "SGD with momentum": ("classic_networks", ["SGD with momentum"], ["모멘텀 SGD"]),
    "FC layers waste parameters": ("classic_networks", ["fully-connected layers waste parameters"],
                                   ["완전 연결층이 파라미터를 낭비"]),
    "VGG: only 3×3": ("classic_networks", ["3×3 convolutions throughout"], ["어디서나 3×3 합성곱"]),
    "VGG: channels double as the map halves": ("classic_networks", ["doubling after each pooling"], ["풀링마다 두 배"]),
    "receptive field": ("classic_networks", ["receptive field"], ["수용 영역"]),
    "pooling layer": ("pooling", ["pooling layer", "no weights"], ["풀링 층", "가중치가 없습니다"]),
    "max and average pooling": ("pooling", ["max pooling", "average pooling"], ["최대 풀링", "평균 풀링"]),
    "pooled size": ("pooling", ["\\lfloor (W - K)/S \\rfloor + 1"], ["\\lfloor (W - K)/S \\rfloor + 1"]),
    "shift invariance": ("pooling", ["shift barely matters"], ["조금 움직여도"]),
    "the pipeline": ("pooling", ["convolution → ReLU → pooling", "flatten → fully-connected → softmax"],
                     ["합성곱 → ReLU → 풀링", "완전 연결층(fully-connected) → 소프트맥스(softmax)"]),
    "activations": ("pooling", ["sigmoid", "tanh", "saturate"], ["sigmoid", "tanh", "포화"]),
    "vanishing gradients (activations)": ("pooling", ["vanishing gradients"], ["기울기 소실"]),
}


def _text(lesson: str, lang: str) -> str:
    return "\n".join(f"{s.title}\n{s.body}" for s in sections(lesson, lang).values())


@pytest.mark.parametrize("concept", list(CONCEPTS))
def test_each_concept_is_taught_in_both_languages(concept):
    lesson, english, korean = CONCEPTS[concept]
    en, ko = _text(lesson, "en"), _text(lesson, "ko")
    for words in english:
        assert words.lower() in en.lower(), (concept, words)
    for words in korean:
        assert words in ko, (concept, words)
