"""The default comment-theme lexicon and the negation words, in English, Vietnamese and Thai.

Keyword syntax (the same in :data:`THEMES` and in your own themes):

* words are separated by spaces and matched as whole tokens, in order ("customer service",
  "phí vận chuyển"); Thai is written without spaces, so a Thai keyword matches one or more
  consecutive Thai words whose letters spell it ("ค่าส่ง" matches ``ค่า`` + ``ส่ง``);
* ``*`` at the end of a word matches any ending ("deliver*": deliver, delivered, delivery;
  in Thai, a dictionary word the keyword starts: "กลิ่น*" matches กลิ่นหอม), and ``*``
  alone matches any one word ("took * weeks");
* keywords are lower case; Vietnamese is matched on the NFC form, with its tone marks, and
  also as typed without them ("giao hang cham qua") for the keywords whose unmarked form
  stays unambiguous: two syllables or more, or one of four letters or more ("cham"; not
  "vo", which may be vỡ, broken, or vợ, wife).

:data:`JUDGEMENTS` are the keywords that judge (late, slow, broken, expensive) rather than
name a topic (delivery, courier, refund). A negation just before a judgement cancels it:
"not late", "không chậm", "ไม่ช้า" are no complaint about delivery. A negated topic word
still counts ("the parcel never arrived" is about delivery). The scope of a negator
(:data:`NEGATORS`) is the next word, after skipping up to two filler words
(:data:`NEGATION_FILLERS`: "not *very* late", "không *bị* vỡ", "ไม่ *ค่อย* ช้า"), within
the same clause (:data:`CLAUSE_BREAKS`: punctuation, "but", "nhưng", "แต่", a space in Thai).

:data:`CONTEXT` keywords name the setting rather than the topic (product, item, parcel,
"arrived", "sản phẩm", "nhận được", "สินค้า", "มาถึง"): they count only in a comment that
mentions no other keyword, so "the parcel arrived broken" is about the product, "the
parcel arrived" about delivery and "great product" about the product.

:data:`NOT_KEYWORDS` are phrases that contain a keyword but mean something else ("đánh giá"
is a review, not a price "giá"); being longer, they win over the keyword and count for no
theme.

The keywords are words and stems a customer uses for each topic, with common variants
(courier/shipper/driver, "arrived broken", "bể", "vỡ", "แตก", "เสียหาย") — written from
the language, not from any one test sentence; the evaluation set in
``tests/data/themed_comments.csv`` measures how well they generalise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

Themes = Mapping[str, Mapping[str, Sequence[str]]]


def _words(text: str) -> list[str]:
    """Keywords written one after the other, separated by ``|``."""
    return [word.strip() for word in text.split("|") if word.strip()]


def _set(text: str) -> frozenset[str]:
    return frozenset(_words(text))


THEMES: Themes = {
    "shipping_cost": {
        "en": _words(
            "shipping | shipping cost* | shipping fee* | shipping charge* | shipping price* | "
            "free shipping | free delivery | delivery cost* | delivery fee* | delivery charge* | "
            "express shipping | postage"
        ),
        "vi": _words(
            "phí vận chuyển | miễn phí vận chuyển | miễn phí giao hàng | phí ship | "
            "phí giao hàng | phí giao | phí gửi | tiền ship | tiền vận chuyển | cước | "
            "cước vận chuyển | freeship | free ship | miễn ship"
        ),
        "th": _words("ค่าส่ง* | ค่าส่งแพง | ส่งฟรี | ฟรีค่าส่ง | ค่าจัดส่ง | ค่าขนส่ง | ค่าส่งด่วน | ค่าไปรษณีย์"),
    },
    "app_checkout": {
        "en": _words(
            "checkout | check out | app | apps | application | website | site | cart | basket | "
            "pay | paying | payment* | card | charged twice | log in | login | "
            "logs me out | "
            "logged out | sign in | sign up | account | password | otp | verification code | "
            "promo code* | discount code* | voucher* | coupon* | froze | freez* | crash* | bug* | "
            "glitch* | error* | pop up* | popup* | update* | steps | wallet"
        ),
        "vi": _words(
            "thanh toán | ứng dụng | app | trang web | website | web | đăng nhập | đăng ký | "
            "tài khoản | mật khẩu | otp | mã giảm giá | mã khuyến mãi | voucher | giỏ hàng | "
            "thẻ | ví điện tử | chuyển khoản | trả tiền | bị treo | treo | đơ | văng | lag | "
            "cập nhật | nhiều bước"
        ),
        "th": _words(
            "ชำระเงิน | จ่ายเงิน | จ่าย | โอนเงิน | แอป | แอพ | แอปพลิเคชัน | เว็บ | เว็บไซต์ | "
            "ล็อกอิน | เข้าสู่ระบบ | รหัส | otp | โค้ด | โค้ดส่วนลด | คูปอง | ตะกร้า | บัตร | "
            "บัตรเครดิต | วอลเล็ท | พร้อมเพย์ | ค้าง | เด้ง | เด้งออก | ล่ม | อัปเดต | อัพเดท | "
            "ขั้นตอน"
        ),
    },
    "support": {
        "en": _words(
            "support | customer service | customer care | service | agent* | staff | rep | "
            "representative* | hotline | helpline | call cent* | on hold | callback | call back | "
            "hung up | chat | live chat | chatbot | bot | email* | repl* | respon* | answer* | "
            "contact* | refund* | return | returns | returned | return label | exchang* | swap* | "
            "complain* | complaint* | resolv* | solv* | sorted out | help | helpful | unhelpful | "
            "rude | listen*"
        ),
        "vi": _words(
            "hỗ trợ | nhân viên | chăm sóc khách hàng | cskh | tổng đài | tổng đài viên | "
            "hotline | chờ máy | bắt máy | nghe máy | liên lạc | liên hệ | tiền hoàn | hoàn lại | "
            "tư vấn | phản hồi | trả lời | tin nhắn | "
            "nhắn tin | chat | inbox | giải quyết | xử lý | khiếu nại | hoàn tiền | đổi trả | "
            "trả hàng | đổi hàng | nhiệt tình | chu đáo"
        ),
        "th": _words(
            "พนักงาน | ฝ่ายบริการ | บริการลูกค้า | บริการ | แอดมิน | ติดต่อ | รอสาย | ถือสาย | "
            "รับสาย | คอลเซ็นเตอร์ | แชท | ทักแชท | ตอบ | ตอบกลับ | แก้ปัญหา | แก้ไข | คืนเงิน | "
            "เงินคืน | คืนสินค้า | คืนของ | เปลี่ยนสินค้า | เคลม | ร้องเรียน | พูดจา | มารยาท"
        ),
    },
    "delivery_speed": {
        "en": _words(
            "deliver* | arriv* | late | lateness | slow | delay* | on time | earlier than | "
            "ahead of schedule | courier* | shipper | driver | delivery guy | postman | parcel* | "
            "package | packages | shipment* | shipped | dispatch* | tracking | in transit | "
            "lost | took forever | took ages | took * days | took * weeks | still waiting | "
            "get here | got here | show* up | turn* up | weeks | waiting"
        ),
        "vi": _words(
            "giao hàng | giao | giao trễ | giao chậm | giao lâu | giao nhanh | trễ | chậm | "
            "hàng đến | hàng về | nhận được hàng | nhận hàng | nhận được | chờ | shipper | "
            "người giao | đơn vị vận chuyển | bên vận chuyển | vận chuyển | bưu điện | bưu kiện | "
            "thất lạc | mất hàng | đúng hẹn | sớm hơn dự kiến | dự kiến | đợi | tuần"
        ),
        "th": _words(
            "จัดส่ง | ส่งช้า | มาช้า | ช้า | ล่าช้า | ส่งเร็ว | มาเร็ว | มาถึง | ได้รับของ | "
            "ได้ของ | ได้รับสินค้า | ได้รับพัสดุ | ขนส่ง | พัสดุ | คนส่งของ | พนักงานส่งของ | "
            "คนส่ง | ไรเดอร์ | มาส่ง | ส่งของ | ตรงเวลา | ดีเลย์ | ไปรษณีย์ | เลขพัสดุ | รอของ | "
            "รอสินค้า | รอพัสดุ | รอ | อาทิตย์ | สัปดาห์"
        ),
    },
    "product_quality": {
        "en": _words(
            "product* | item* | quality | broke* | broken | break* | crack* | shatter* | damag* | "
            "defect* | faulty | dent* | scratch* | crush* | torn | tore | ripped | stain* | "
            "scuff* | used | wrong | fake | counterfeit | described | description | picture* | "
            "photo* | image* | material* | fabric | stitch* | zip* | battery | size | fit | "
            "fits | colour* | color* | smell* | texture | flimsy | cheaply made | durable | "
            "sturdy | work* | stopped working | stopped | ruin* | soaked | wet | faded"
        ),
        "vi": _words(
            "sản phẩm | chất lượng | hỏng | bị hỏng | hư | bể | bị bể | vỡ | bị vỡ | nứt | "
            "bị nứt | móp | méo | trầy | "
            "xước | rách | lỗi | bị lỗi | kém | hàng giả | hàng nhái | nhái | mô tả | hình | "
            "ảnh | size | màu | chất liệu | vải | đường may | bền | bẩn | đã qua sử dụng | "
            "hết hạn | nhầm | sai | nguyên vẹn | mùi | pin"
        ),
        "th": _words(
            "สินค้า | คุณภาพ* | รายละเอียด | ในรูป | ตรงปก | ไม่ตรงปก | ชำรุด | พัง | แตก | "
            "เสียหาย | ร้าว | บุบ | ขาด | เป็นรอย | รอยขีดข่วน | ของปลอม | ปลอม | ไซซ์ | ไซส์ | "
            "ขนาด | เนื้อผ้า | ผ้า | วัสดุ | กลิ่น* | สี | สีตก | ซีด | ทนทาน | มือสอง | ส่งผิด | ผิด | แบต"
        ),
    },
    "price": {
        "en": _words(
            "price* | pricey | pricing | expensive | cheap* | overpriced | value | "
            "value for money | worth | cost* | rip off | ripoff | affordable | bargain | "
            "discount* | money"
        ),
        "vi": _words(
            "giá | giá cả | giá tiền | đắt | mắc | rẻ | đáng tiền | đáng đồng tiền | tăng giá | "
            "giảm giá | khuyến mãi | cắt cổ"
        ),
        "th": _words(
            "ราคา* | แพง | ราคาถูก | ถูกกว่า | ถูกมาก | คุ้ม | คุ้มค่า | คุ้มราคา | ขึ้นราคา | "
            "ลดราคา | ส่วนลด | โปรโมชั่น"
        ),
    },
}

JUDGEMENTS: Mapping[str, frozenset[str]] = {
    "en": _set(
        "broke* | broken | crack* | crash* | crush* | damag* | defect* | delay* | dent* | "
        "expensive | fake | faulty | flimsy | freez* | froze | late | overpriced | pricey | "
        "scratch* | scuff* | shatter* | slow | stain* | torn | wrong"
    ),
    "vi": _set(
        "bẩn | bể | bị bể | bị vỡ | bị nứt | bị hỏng | bị lỗi | bị treo | chậm | giao chậm | "
        "giao lâu | giao trễ | "
        "hàng giả | hàng nhái | hư | hỏng | kém | lag | lỗi | méo | móp | mắc | nhái | nhầm | "
        "nứt | rách | treo | trầy | trễ | văng | vỡ | xước | đơ | đắt"
    ),
    "th": _set(
        "ของปลอม | ขาด | ค่าส่งแพง | ค้าง | ชำรุด | ช้า | ดีเลย์ | บุบ | ปลอม | พัง | มาช้า | "
        "รอยขีดข่วน | ร้าว | ล่ม | ล่าช้า | ส่งช้า | ส่งผิด | เด้ง | เป็นรอย | เสียหาย | แตก | "
        "แพง"
    ),
}

CONTEXT: Mapping[str, frozenset[str]] = {
    "en": _set(
        "arriv* | item* | package | packages | parcel* | pay | paying | product* | weeks | waiting"
    ),
    "vi": _set(
        "chờ | giao | hàng về | hàng đến | nhận hàng | nhận được | nhận được hàng | sản phẩm | "
        "trả tiền | đợi | tuần"
    ),
    "th": _set(
        "จ่าย | พัสดุ | มาถึง | สินค้า | ส่งของ | ได้ของ | ได้รับของ | ได้รับพัสดุ | ได้รับสินค้า | "
        "รอ | อาทิตย์ | สัปดาห์"
    ),
}

NEGATORS: Mapping[str, frozenset[str]] = {
    "en": _set(
        "aren't | arent | can't | cannot | cant | couldn't | couldnt | didn't | didnt | doesn't | "
        "doesnt | don't | dont | hadn't | hadnt | hardly | hasn't | hasnt | haven't | havent | "
        "isn't | isnt | never | no | nobody | none | nor | not | nothing | wasn't | wasnt | "
        "weren't | werent | without | won't | wont | wouldn't | wouldnt"
    ),
    "vi": _set("chưa | chả | chẳng | hông | không | khỏi | ko"),
    "th": _set("มิ | ยังไม่ | ไม่ | ไม่ค่อย | ไม่เคย | ไม่ได้ | ไร้"),
}

NEGATION_FILLERS: Mapping[str, frozenset[str]] = {
    "en": _set(
        "a | all | an | any | at | be | been | being | even | ever | get | got | much | "
        "particularly | quite | really | so | that | the | too | very | yet"
    ),
    "vi": _set("bị | còn | có | hơi | hề | lắm | phải | quá | thấy | được"),
    "th": _set("ค่อนข้าง | ค่อย | ถึงกับ | มี | เคย | เลย | ได้"),
}

CLAUSE_BREAKS: Mapping[str, frozenset[str]] = {
    "en": _set("! | ( | ) | , | . | : | ; | ? | although | but | though"),
    "vi": _set("! | ( | ) | , | . | : | ; | ? | nhưng"),
    "th": _set("! | ( | ) | , | . | : | ; | ? | แต่"),
}

NOT_KEYWORDS: Mapping[str, Sequence[str]] = {
    "en": _words("at work"),
    "vi": _words("đánh giá | giao diện | giao dịch | giao tiếp | bàn giao | trả lời sau"),
    "th": _words("ถูกใจ | ถูกต้อง"),
}
