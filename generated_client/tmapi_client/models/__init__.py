"""Contains all the data models used in inputs/outputs"""

from .convert_image_url_request import ConvertImageUrlRequest
from .convert_image_url_response import ConvertImageUrlResponse
from .converted_image import ConvertedImage
from .delivery_info import DeliveryInfo
from .delivery_info_v2 import DeliveryInfoV2
from .error_response import ErrorResponse
from .language import Language
from .language_v2 import LanguageV2
from .price_info import PriceInfo
from .price_info_v2 import PriceInfoV2
from .quantity_price import QuantityPrice
from .sale_info import SaleInfo
from .sale_info_v2 import SaleInfoV2
from .search_api_endpoint import SearchApiEndpoint
from .search_data import SearchData
from .search_data_filters import SearchDataFilters
from .search_data_v2 import SearchDataV2
from .search_data_v2_filters import SearchDataV2Filters
from .search_item import SearchItem
from .search_item_v2 import SearchItemV2
from .search_response import SearchResponse
from .search_response_v2 import SearchResponseV2
from .shop_info import ShopInfo
from .shop_info_v2 import ShopInfoV2
from .shop_score_info import ShopScoreInfo
from .sort import Sort

__all__ = (
    "ConvertImageUrlRequest",
    "ConvertImageUrlResponse",
    "ConvertedImage",
    "DeliveryInfo",
    "DeliveryInfoV2",
    "ErrorResponse",
    "Language",
    "LanguageV2",
    "PriceInfo",
    "PriceInfoV2",
    "QuantityPrice",
    "SaleInfo",
    "SaleInfoV2",
    "SearchApiEndpoint",
    "SearchData",
    "SearchDataFilters",
    "SearchDataV2",
    "SearchDataV2Filters",
    "SearchItem",
    "SearchItemV2",
    "SearchResponse",
    "SearchResponseV2",
    "ShopInfo",
    "ShopInfoV2",
    "ShopScoreInfo",
    "Sort",
)
