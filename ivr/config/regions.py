"""The regions of Ukraine a directory entry may serve: id -> Ukrainian name."""

from __future__ import annotations

REGIONS: dict[str, str] = {
    "vinnytska": "Вінницька область",
    "volynska": "Волинська область",
    "dnipropetrovska": "Дніпропетровська область",
    "donetska": "Донецька область",
    "zhytomyrska": "Житомирська область",
    "zakarpatska": "Закарпатська область",
    "zaporizka": "Запорізька область",
    "ivano-frankivska": "Івано-Франківська область",
    "kyivska": "Київська область",
    "kirovohradska": "Кіровоградська область",
    "luhanska": "Луганська область",
    "lvivska": "Львівська область",
    "mykolaivska": "Миколаївська область",
    "odeska": "Одеська область",
    "poltavska": "Полтавська область",
    "rivnenska": "Рівненська область",
    "sumska": "Сумська область",
    "ternopilska": "Тернопільська область",
    "kharkivska": "Харківська область",
    "khersonska": "Херсонська область",
    "khmelnytska": "Хмельницька область",
    "cherkaska": "Черкаська область",
    "chernivetska": "Чернівецька область",
    "chernihivska": "Чернігівська область",
    "kyiv": "місто Київ",
    "crimea": "Автономна Республіка Крим",
    "sevastopol": "місто Севастополь",
}
