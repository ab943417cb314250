"""Contains all the data models used in inputs/outputs"""

from .convert_image_url_request import ConvertImageUrlRequest
from .convert_image_url_response import ConvertImageUrlResponse
from .converted_image import ConvertedImage
from .delivery_info import DeliveryInfo
from .error_response import ErrorResponse
from .language import Language
from .price_info import PriceInfo
from .quantity_price import QuantityPrice
from .sale_info import SaleInfo
from .search_api_endpoint import SearchApiEndpoint
from .search_data import SearchData
from .search_data_filters import SearchDataFilters
from .search_item import SearchItem
from .search_response import SearchResponse
from .shop_info import ShopInfo
from .sort import Sort

__all__ = (
    "ConvertImageUrlRequest",
    "ConvertImageUrlResponse",
    "ConvertedImage",
    "DeliveryInfo",
    "ErrorResponse",
    "Language",
    "PriceInfo",
    "QuantityPrice",
    "SaleInfo",
    "SearchApiEndpoint",
    "SearchData",
    "SearchDataFilters",
    "SearchItem",
    "SearchResponse",
    "ShopInfo",
    "Sort",
)
